import Foundation

/// Order statistics of a sample.
struct Sample {
    private(set) var values: [Double]

    init(_ values: [Double]) { self.values = values.sorted() }

    /// The value at quantile `q` (0…1), nearest rank.
    func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let rank = Int((q * Double(values.count - 1)).rounded())
        return values[Swift.min(Swift.max(rank, 0), values.count - 1)]
    }

    var median: Double { quantile(0.5) }
    var max: Double { values.last ?? .nan }
    var min: Double { values.first ?? .nan }
}

/// Monotonic nanoseconds, for durations.
func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Wall-clock nanoseconds since 1970, comparable between processes on one machine.
func wallNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// Seconds taken by `body`.
func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = monotonicNanos()
    try await body()
    return Double(monotonicNanos() - start) / 1e9
}

/// Prints a progress or result line on stderr, so that `--json` keeps stdout to one document.
func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
