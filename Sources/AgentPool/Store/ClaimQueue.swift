/// The claim queue's keys: who may claim a delivered message, so that a claimer reads only the
/// queue entries it could take — never past work delivered to other runs, queued for addresses
/// that do not select it, or held by a live claim.
///
/// The rule, written once here and applied by every backend as it is told (``ProjectionChange``
/// and ``PoolStorage/setQueued(_:keys:queued:)``): a message has one entry under each of its
/// keys while it is `delivered` and its claim is not `held`, at its ``ClaimQueuePosition``
/// (its priority, then the seq of its latest record).
///
/// - Queued work (``Message/queued``) is keyed by its address, spelled `run:R`, `agent:A`,
///   `topic:T` or `pool`: whoever that address selects at claim time may take it.
/// - A delivered message is keyed `run:R` for each run it was delivered to.
package enum ClaimQueue {
    /// The keys `stored` is queued under while it is delivered (none when it is not).
    package static func keys(of stored: StoredMessage) -> [String] {
        guard stored.receipt.status == .delivered else { return [] }
        if stored.message.queued { return [stored.message.to.target.spelled] }
        return stored.receipt.deliveredTo.normalizedIDs().map { AddressTarget.run($0).spelled }
    }

    /// The keys whose entries `member` may claim: its run's (deliveries and work queued for it),
    /// its agent's, each of its topics' and the pool's; with `queue`, only what could be
    /// addressed to it (its key, and the run's deliveries, which the claim filters by address).
    package static func keys(claimableBy member: Member, from queue: AddressTarget?) -> [String] {
        let run = AddressTarget.run(member.runID).spelled
        if let queue {
            let key = queue.spelled
            return key == run ? [run] : [run, key]
        }
        return [run, AddressTarget.agent(member.agentID).spelled, "pool"]
            + member.topics.normalizedIDs().map { AddressTarget.topic($0).spelled }
    }
}
