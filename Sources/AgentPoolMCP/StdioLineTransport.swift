#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import MCP

/// MCP over standard input and output, one JSON message per line, with a blocking reader on a
/// thread of its own.
///
/// why not the SDK's `StdioTransport`: in 0.12.1 it reads stdin non-blocking and, when nothing
/// is there, sleeps 10 ms and tries again — a hundred wake-ups a second while a `wait` idles.
/// This one sleeps in `read(2)` until a byte or EOF arrives, so an idle server costs no CPU.
/// EOF (the client closed its end, or died) ends ``receive()``'s stream, which ends the server.
public actor StdioLineTransport: Transport {
    /// Where the transport logs (stderr for the CLI: stdout is the protocol).
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false

    /// A transport on `input` and `output` (default: stdin and stdout).
    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger) {
        self.input = input
        self.output = output
        self.logger = logger
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Starts the reader thread; a second call does nothing.
    public func connect() async throws {
        guard !connected else { return }
        connected = true
        let input = self.input, continuation = self.continuation, logger = self.logger
        let thread = Thread {
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    if count < 0 { logger.error("stdin read failed", metadata: ["errno": "\(errno)"]) }
                    break
                }
                pending.append(contentsOf: buffer[..<count])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    if !line.isEmpty { continuation.yield(Data(line)) }
                    pending = Data(pending[pending.index(after: newline)...])
                }
            }
            continuation.finish()
        }
        thread.name = "agentpool-mcp-stdin"
        thread.start()
    }

    /// Ends the message stream; the reader thread ends at the next EOF.
    public func disconnect() async {
        connected = false
        continuation.finish()
    }

    /// Writes `data` and a newline, whole, to the output.
    /// - Throws: `MCPError.transportError` when the output is closed.
    public func send(_ data: Data) async throws {
        var line = data
        line.append(UInt8(ascii: "\n"))
        try line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(output, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
                offset += written
            }
        }
    }

    /// The incoming messages, one per line, until EOF.
    public func receive() -> AsyncThrowingStream<Data, any Error> { stream }
}
