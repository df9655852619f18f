import AgentPool
import Testing

/// Message and wake records: status machines, dedupe lookups and conflicts.
enum MessageAndWakeChecks {
    typealias F = Fixtures

    static func openedContext(_ harness: StoreFactory) async throws -> StoreContext {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        return context
    }

    static func aMessageMovesThroughItsStatusesAndTheKeyLookupReturnsTheLatestReceipt(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        let message = F.message("m1", key: "k1")
        try await context.store.recordMessage(F.pool, F.stored(message, .accepted))
        try await context.store.recordMessage(F.pool, F.stored(message, .delivered, to: ["run-2"]))
        try await context.store.recordMessage(F.pool, F.stored(message, .responded, to: ["run-2"]))
        let found = try await context.store.message(F.pool, forKey: "k1")
        #expect(found?.receipt.status == .responded)
        #expect(found?.message == message)
        #expect(try await context.store.message(F.pool, forKey: "unknown") == nil)
        #expect(try await F.log(context.store).map(\.kind) == [.poolOpened, .runMessage, .runMessage, .runMessage])
    }

    static func repeatingTheCurrentReceiptIsANoOp(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        let stored = F.stored(F.message("m1"), .accepted)
        try await context.store.recordMessage(F.pool, stored)
        let again = try await context.store.recordMessage(F.pool, stored)
        #expect(again == nil)
        #expect(try await F.log(context.store).count == 2)
    }

    static let allTransitions: [(MessageStatus, MessageStatus)] = MessageStatus.allCases.flatMap { from in
        MessageStatus.allCases.filter { $0 != from }.map { (from, $0) }
    }

    static func everyMessageTransitionIsAllowedOrRefusedAsTheStatusMachineSays(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        for (index, (from, to)) in Self.allTransitions.enumerated() {
            let message = F.message("m\(index)")
            // Reach `from` through allowed steps.
            let path: [MessageStatus] = switch from {
            case .accepted: [.accepted]
            case .delivered: [.accepted, .delivered]
            case .responded: [.accepted, .delivered, .responded]
            case .failed, .expired: [from]
            case .cancelled, .timedOut: [.accepted, from]
            }
            for status in path { try await context.store.recordMessage(F.pool, F.stored(message, status, to: ["r"])) }
            let before = try await F.log(context.store).count
            let error = await agentPoolError { try await context.store.recordMessage(F.pool, F.stored(message, to, to: ["r"])) }
            let after = try await F.log(context.store).count
            if from.canTransition(to: to) {
                #expect(error == nil, "\(from) → \(to)")
                #expect(after == before + 1, "\(from) → \(to)")
            } else {
                #expect(error?.kind == .invalidStateTransition, "\(from) → \(to)")
                #expect(after == before, "\(from) → \(to)")
            }
        }
        // Spot-check the machine itself against the documented machine.
        #expect(MessageStatus.accepted.canTransition(to: .delivered))
        #expect(MessageStatus.delivered.canTransition(to: .responded))
        // delivered → failed is the dead letter (max_attempts); expired stays initial-only.
        #expect(MessageStatus.delivered.canTransition(to: .failed))
        #expect(!MessageStatus.delivered.canTransition(to: .expired))
        #expect(!MessageStatus.responded.canTransition(to: .cancelled))
    }

    static func aNewMessageMustStartAsAcceptedFailedOrExpired(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        for (index, status) in MessageStatus.allCases.enumerated() {
            let error = await agentPoolError { try await context.store.recordMessage(F.pool, F.stored(F.message("n\(index)"), status)) }
            #expect((error == nil) == status.isInitial, "\(status)")
            if !status.isInitial { #expect(error?.kind == .invalidStateTransition) }
        }
        #expect(try await F.log(context.store).count == 1 + 3)
    }

    static func aDeliveredReceiptMayGrowItsRepliesButAFinalOneCannotChange(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        let message = F.message("m1")
        try await context.store.recordMessage(F.pool, F.stored(message, .accepted))
        try await context.store.recordMessage(F.pool, F.stored(message, .delivered, to: ["a", "b"]))
        let counted = StoredMessage(message: message, receipt: Receipt(messageID: "m1", status: .delivered, deliveredTo: ["a", "b"], respondedBy: ["a"]))
        #expect(try await context.store.recordMessage(F.pool, counted) != nil)
        try await context.store.recordMessage(F.pool, F.stored(message, .cancelled, to: ["a", "b"]))
        let error = await agentPoolError {
            try await context.store.recordMessage(F.pool, StoredMessage(message: message, receipt: Receipt(messageID: "m1", status: .cancelled, reason: "other")))
        }
        #expect(error?.kind == .invalidStateTransition)
    }

    static func aKeyUsedByAnotherMessageIsAnIdempotencyConflictAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        try await context.store.recordMessage(F.pool, F.stored(F.message("m1", key: "shared"), .accepted))
        let error = await agentPoolError { try await context.store.recordMessage(F.pool, F.stored(F.message("m2", key: "shared"), .accepted)) }
        #expect(error?.kind == .idempotencyConflict)
        #expect(try await F.log(context.store).count == 2)
    }

    static func aMessageIdReusedUnderAnotherKeyOrWithOtherContentIsAnIdempotencyConflict(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        try await context.store.recordMessage(F.pool, F.stored(F.message("m1", key: "k1"), .accepted))
        for variant in [F.message("m1", key: "k2"), F.message("m1", key: "k1", content: "different")] {
            let error = await agentPoolError { try await context.store.recordMessage(F.pool, F.stored(variant, .delivered, to: ["r"])) }
            #expect(error?.kind == .idempotencyConflict)
        }
        #expect(try await F.log(context.store).count == 2)
        #expect(try await context.store.message(F.pool, forKey: "k2") == nil)
    }

    static func inboxListsDeliveriesToARunInOrderOncePerDelivery(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        for id in ["m2", "m1", "m3"] {
            let message = F.message(id)
            try await context.store.recordMessage(F.pool, F.stored(message, .accepted))
            try await context.store.recordMessage(F.pool, F.stored(message, .delivered, to: id == "m3" ? ["other"] : ["me", "other"]))
        }
        // A receipt update that keeps `delivered` is not a second delivery.
        let counted = StoredMessage(message: F.message("m2"), receipt: Receipt(messageID: "m2", status: .delivered, deliveredTo: ["me", "other"], respondedBy: ["me"]))
        try await context.store.recordMessage(F.pool, counted)
        let (mine, afterFirst, others) = try await context.store.read(F.pool) { reader in
            (try reader.inbox(run: "me", after: 0, limit: 10), try reader.inbox(run: "me", after: 3, limit: 10), try reader.inbox(run: "other", after: 0, limit: 2))
        }
        #expect(mine == [InboxEntry(seq: 3, messageID: "m2"), InboxEntry(seq: 5, messageID: "m1")])
        #expect(afterFirst == [InboxEntry(seq: 5, messageID: "m1")])
        #expect(others.map(\.messageID) == ["m2", "m1"])
    }

    static func aWakeIsFoundByIdAndKeyAndEndsInOneFinalStatus(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        try await context.store.recordWake(F.pool, F.wake("w1", key: "wk"))
        #expect(try await context.store.wake(F.pool, id: "w1")?.registration.status == .registered)
        #expect(try await context.store.wake(F.pool, forKey: "wk")?.condition.conditionID == "w1")
        let registered = try await context.store.read(F.pool) { try $0.registeredWakes().map(\.condition.conditionID) }
        #expect(registered == ["w1"])

        try await context.store.recordWake(F.pool, F.wake("w1", key: "wk", status: .triggered, cursor: 1))
        #expect(try await context.store.recordWake(F.pool, F.wake("w1", key: "wk", status: .triggered, cursor: 1)) == nil)
        for status in WakeStatus.allCases where status != .triggered {
            let error = await agentPoolError { try await context.store.recordWake(F.pool, F.wake("w1", key: "wk", status: status)) }
            #expect(error?.kind == .invalidStateTransition, "triggered → \(status)")
        }
        let found = try await context.store.wake(F.pool, id: "w1")
        #expect(found?.registration.matchingCursor == 1)
        #expect(try await context.store.read(F.pool) { try $0.registeredWakes() }.isEmpty)
        #expect(try await F.log(context.store).count == 3)
    }

    static func aNewWakeMustStartRegisteredAndKeysAndIdsAreNotShared(_ harness: StoreFactory) async throws {
        let context = try await openedContext(harness)
        let notRegistered = await agentPoolError { try await context.store.recordWake(F.pool, F.wake("w0", status: .triggered)) }
        #expect(notRegistered?.kind == .invalidStateTransition)
        try await context.store.recordWake(F.pool, F.wake("w1", key: "wk"))
        let keyReused = await agentPoolError { try await context.store.recordWake(F.pool, F.wake("w2", key: "wk")) }
        #expect(keyReused?.kind == .idempotencyConflict)
        let idReused = await agentPoolError { try await context.store.recordWake(F.pool, F.wake("w1", key: "other")) }
        #expect(idReused?.kind == .idempotencyConflict)
        #expect(try await F.log(context.store).count == 2)
    }
}

extension Conformance {
    static let messageAndWake: [ConformanceCheck] = [
        ConformanceCheck("MessageAndWake", "aMessageMovesThroughItsStatusesAndTheKeyLookupReturnsTheLatestReceipt", MessageAndWakeChecks.aMessageMovesThroughItsStatusesAndTheKeyLookupReturnsTheLatestReceipt),
        ConformanceCheck("MessageAndWake", "repeatingTheCurrentReceiptIsANoOp", MessageAndWakeChecks.repeatingTheCurrentReceiptIsANoOp),
        ConformanceCheck("MessageAndWake", "everyMessageTransitionIsAllowedOrRefusedAsTheStatusMachineSays", MessageAndWakeChecks.everyMessageTransitionIsAllowedOrRefusedAsTheStatusMachineSays),
        ConformanceCheck("MessageAndWake", "aNewMessageMustStartAsAcceptedFailedOrExpired", MessageAndWakeChecks.aNewMessageMustStartAsAcceptedFailedOrExpired),
        ConformanceCheck("MessageAndWake", "aDeliveredReceiptMayGrowItsRepliesButAFinalOneCannotChange", MessageAndWakeChecks.aDeliveredReceiptMayGrowItsRepliesButAFinalOneCannotChange),
        ConformanceCheck("MessageAndWake", "aKeyUsedByAnotherMessageIsAnIdempotencyConflictAndWritesNothing", MessageAndWakeChecks.aKeyUsedByAnotherMessageIsAnIdempotencyConflictAndWritesNothing),
        ConformanceCheck("MessageAndWake", "aMessageIdReusedUnderAnotherKeyOrWithOtherContentIsAnIdempotencyConflict", MessageAndWakeChecks.aMessageIdReusedUnderAnotherKeyOrWithOtherContentIsAnIdempotencyConflict),
        ConformanceCheck("MessageAndWake", "inboxListsDeliveriesToARunInOrderOncePerDelivery", MessageAndWakeChecks.inboxListsDeliveriesToARunInOrderOncePerDelivery),
        ConformanceCheck("MessageAndWake", "aWakeIsFoundByIdAndKeyAndEndsInOneFinalStatus", MessageAndWakeChecks.aWakeIsFoundByIdAndKeyAndEndsInOneFinalStatus),
        ConformanceCheck("MessageAndWake", "aNewWakeMustStartRegisteredAndKeysAndIdsAreNotShared", MessageAndWakeChecks.aNewWakeMustStartRegisteredAndKeysAndIdsAreNotShared),
    ]
}
