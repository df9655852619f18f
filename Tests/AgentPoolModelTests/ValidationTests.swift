import Foundation
import AgentPool
import Testing

/// Identifier rules and the error type.
@Suite struct ValidationTests {
    @Test(arguments: ["a", "run-1", "日本語", String(repeating: "x", count: 256), String(repeating: "é", count: 128), "with space"])
    func validIdsAreAccepted(_ id: String) throws {
        try IDValidation.check(id, field: "run_id")
    }

    @Test(arguments: ["", String(repeating: "x", count: 257), String(repeating: "é", count: 129), "a\u{0}", "a\nb", "\u{1B}[31m", "a\u{7F}", "a\u{85}"])
    func invalidIdsAreInvalidInputNamingTheField(_ id: String) {
        #expect(throws: AgentPoolError.self) { try IDValidation.check(id, field: "member.run_id") }
        do {
            try IDValidation.check(id, field: "member.run_id")
        } catch {
            #expect(error.kind == .invalidInput)
            #expect(error.field == "member.run_id")
            #expect(error.message.contains("member.run_id"))
        }
    }

    /// The control-character rule is a range test: it must refuse exactly Unicode's control
    /// category (Cc), checked against the Unicode tables for every scalar.
    @Test func exactlyTheControlCategoryIsRefusedInIds() {
        var refused = 0
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates
            let id = "a" + String(Character(scalar))
            let isControl = scalar.properties.generalCategory == .control
            let accepted = (try? IDValidation.check(id, field: "run_id", requireNFC: false)) != nil
            if accepted == isControl { Issue.record("U+\(String(value, radix: 16)): accepted \(accepted)"); return }
            if !accepted { refused += 1 }
        }
        #expect(refused == 65)  // U+0000–U+001F and U+007F–U+009F
    }

    /// Ids must be in NFC: the decomposed, singleton-decomposing and conjoining forms are refused,
    /// their composed forms accepted; a content reference may be in any form.
    @Test func idsMustBeInNormalizationFormC() {
        let accepted = ["plain", "caf\u{E9}", "\u{C5}ngstr\u{F6}m", "\u{AC00}", "日本語", "😀", "e\u{301}\u{301}".precomposedStringWithCanonicalMapping]
        let refused = ["cafe\u{301}", "\u{212B}", "\u{1100}\u{1161}", "a\u{308}", "\u{2126}"]  // NFD, Angstrom sign, jamo, ä, Ohm sign
        for id in accepted { #expect((try? IDValidation.check(id, field: "run_id")) != nil, "\(id.unicodeScalars.map { $0.value })") }
        for id in refused {
            do {
                try IDValidation.check(id, field: "run_id")
                Issue.record("accepted \(id.unicodeScalars.map { $0.value })")
            } catch {
                #expect(error.kind == .invalidInput && error.field == "run_id" && error.message.contains("NFC"))
            }
            #expect((try? IDValidation.check(id, field: "message.content_ref", requireNFC: false)) != nil)
        }
    }

    @Test func onlyBusyIsRetryableAndStorageProblemsNeedRepair() {
        for kind in AgentPoolError.Kind.allCases {
            let error = AgentPoolError(kind: kind, message: "x")
            #expect(error.isRetryable == (kind == .busy))
            #expect((error.retry == .repairNeeded) == [.corruptRecord, .unsupportedSchema, .storage, .clockSkew].contains(kind))
        }
    }
}
