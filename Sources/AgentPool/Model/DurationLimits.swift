/// The range of every duration a caller passes (a lease, a timeout): 0 or 1 ms up to ten years.
///
/// Deadlines are computed as now + duration in 64-bit milliseconds; an unbounded duration
/// (`Int64.max` as a lease) overflowed that sum and killed the process. Ten years is far beyond any
/// lease or timeout an agent needs and far from overflow for any clock this side of the year
/// 292 million.
package enum DurationLimits {
    /// Ten years, in milliseconds.
    package static let maximumMillis: Millis = 10 * 365 * 86_400_000

    /// Throws `invalidInput` naming `field` unless `value` is in `minimum...maximumMillis`.
    package static func check(_ value: Millis, atLeast minimum: Millis, field: String) throws(AgentPoolError) {
        guard (minimum...maximumMillis).contains(value) else {
            throw .invalidInput(field: field, "\(field) is \(value); it must be \(minimum) to \(maximumMillis) ms (ten years)")
        }
    }

    /// The latest instant a caller may name (a not-before, an expiry): the end of the year 9999
    /// UTC, in milliseconds.
    package static let latestInstantMillis: Millis = 253_402_300_799_999

    /// Throws `invalidInput` naming `field` unless `value` is in `0...latestInstantMillis`.
    package static func checkInstant(_ value: Millis, field: String) throws(AgentPoolError) {
        guard (0...latestInstantMillis).contains(value) else {
            throw .invalidInput(field: field, "\(field) is \(value); it must be 0 to \(latestInstantMillis) (UTC ms, the year 9999)")
        }
    }
}
