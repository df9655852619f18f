import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// The record decoder fed random and mutated input returns a payload or a typed
/// `corruptRecord`, and never crashes.
@Suite struct RecordDecoderFuzzTests {
    static let seeds: [String] = RecordJSONTests.everyKind.map { try! RecordCodec.encode($0).payload }

    /// `text` with a few random byte edits: flips, deletions, insertions of JSON punctuation,
    /// truncation, duplication of a slice.
    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = Array(text.utf8)
        let punctuation = Array("{}[]\",:\\0123456789truefalsenull \u{0}\u{ff}".utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes[index] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: bytes.remove(at: index)
            case 2: bytes.insert(punctuation.randomElement(using: &rng)!, at: index)
            case 3: bytes.removeSubrange(index...)
            default:
                let end = Swift.min(bytes.count, index + Int.random(in: 1...20, using: &rng))
                bytes.insert(contentsOf: bytes[index..<end], at: index)
            }
        }
        return bytes
    }

    @Test func mutatedRecordsDecodeOrFailWithCorruptRecord() {
        var rng = SeededGenerator(seed: 0xF022)
        var decoded = 0, refused = 0
        for iteration in 0..<20_000 {
            let seed = Self.seeds[iteration % Self.seeds.count]
            let bytes = Self.mutate(seed, &rng)
            let text = String(decoding: bytes, as: UTF8.self)
            let kind = Bool.random(using: &rng) ? RecordKind.allCases.randomElement(using: &rng)!.rawValue : "garbage\(iteration % 3)"
            do {
                _ = try RecordCodec.decode(kind: kind, payload: text, pool: "p", seq: Seq(iteration + 1))
                decoded += 1
            } catch {
                #expect(error.kind == .corruptRecord)
                refused += 1
            }
        }
        // Both outcomes must occur, or the mutations are too weak or too strong to test anything.
        #expect(decoded > 100)
        #expect(refused > 10_000)
    }

    @Test func randomBytesNeverDecodeIntoAPayload() {
        var rng = SeededGenerator(seed: 0xB17E5)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(throws: AgentPoolError.self) {
                _ = try RecordCodec.decode(kind: "run_message", payload: text, pool: "p", seq: 1)
            }
        }
    }
}
