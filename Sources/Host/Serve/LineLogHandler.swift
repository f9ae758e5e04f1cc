import Foundation
import Logging
import Synchronization

/// `serve`'s log handler: the same line as swift-log's `StreamLogHandler`
/// (`<time> <level> <label>: <key=value …> [<source>] <message>`), made cheaply enough to write one per
/// request (issue 16). `StreamLogHandler` calls `localtime` per line — which re-reads the time zone, a
/// `stat` of /etc/localtime each time when TZ is unset — and flushes stderr per line, one `write` each.
/// Here the time text is made once per second and info-level lines are written in batches (`LogLineSink`).
struct LineLogHandler: LogHandler {
    let label: String
    let sink: LogLineSink
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?
    var metadata = Logger.Metadata()

    init(label: String, sink: LogLineSink = .standardError, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = sink.timestamp()
        line += " "
        line += event.level.rawValue
        if !label.isEmpty { line += " " + label }
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        // An operator waits on notices, warnings and alerts: those go out at once, with everything before them.
        sink.write(line, now: event.level >= .notice)
    }
}

/// stderr, written in batches: a line waits at most `delay` (or until 64 KiB are pending, or a line that
/// must go at once). A crash can lose the last `delay` of info lines; nothing else is held back.
final class LogLineSink: Sendable {
    static let standardError = LogLineSink(descriptor: 2)
    static let delay = DispatchTimeInterval.milliseconds(20)
    static let batchBytes = 64 * 1024

    struct State {
        var pending: [UInt8] = []
        var flushScheduled = false
        var second = Int.min
        var secondText = ""
    }

    let descriptor: Int32
    private let state = Mutex(State())

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The local time to the second, as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`).
    func timestamp() -> String {
        var now = time(nil)
        if let text = state.withLock({ $0.second == now ? $0.secondText : nil }) { return text }
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        state.withLock { state in
            state.second = now
            state.secondText = text
        }
        return text
    }

    func write(_ line: String, now urgent: Bool) {
        let scheduleFlush = state.withLock { state -> Bool in
            state.pending.append(contentsOf: line.utf8)
            if urgent || state.pending.count >= Self.batchBytes {
                Self.drain(&state.pending, to: descriptor)
                return false
            }
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        if scheduleFlush {
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.delay) { [self] in
                state.withLock { state in
                    state.flushScheduled = false
                    Self.drain(&state.pending, to: descriptor)
                }
            }
        }
    }

    /// Writes what is pending now (at exit, so the last lines are not lost).
    func flush() {
        state.withLock { Self.drain(&$0.pending, to: descriptor) }
    }

    /// Under the lock, so lines keep their order between writers.
    private static func drain(_ pending: inout [UInt8], to descriptor: Int32) {
        var offset = 0
        pending.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { break }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}
