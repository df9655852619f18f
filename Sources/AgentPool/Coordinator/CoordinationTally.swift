/// What one coordinated write expired or dead-lettered; reported to metrics after it commits (a
/// rolled-back transaction reports nothing).
struct CoordinationTally: Sendable {
    /// Members removed because their lease ran out.
    var leasesExpired = 0
    /// Claims that ran out (including those of expired members).
    var claimsExpired = 0
    /// Messages failed with reason `max_attempts`.
    var deadLetters = 0
}
