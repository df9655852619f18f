import AgentPool
import Logging

/// A log handler that keeps every message, for asserting on the open summary line.
public struct CapturingLogHandler: LogHandler {
    /// The captured (level, message, metadata) triples, shared by the handler's copies.
    public final class Box: Sendable {
        package let lines = Locked<[(Logger.Level, String, Logger.Metadata)]>([])
        /// An empty box.
        public init() {}
    }
    /// Where the lines go.
    public let box: Box
    /// Handler metadata.
    public var metadata: Logger.Metadata = [:]
    /// Everything is captured by default.
    public var logLevel: Logger.Level = .trace

    /// A handler writing into `box`.
    public init(box: Box) { self.box = box }

    /// Handler metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Captures the event.
    public func log(event: LogEvent) {
        box.lines.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
    }
}
