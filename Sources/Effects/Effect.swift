/// A named timer an aggregate asked for; it comes back as an input with the same id.
public struct TimerID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

public enum LogLevel: String, Codable, Sendable, Hashable { case debug, info, warning, error }

/// A log line. Never carries a secret or a customer email: reducers build it from ids and reasons.
public struct LogEntry: Codable, Sendable, Hashable {
    public var level: LogLevel
    public var message: String
    public init(_ level: LogLevel, _ message: String) { self.level = level; self.message = message }
}

/// Why an input was refused without changing state (DESIGN §7: reducers never throw).
public struct Rejection: Codable, Sendable, Hashable, Error {
    public var code: String
    public var field: String?
    public var message: String
    public init(code: String, field: String? = nil, message: String) { self.code = code; self.field = field; self.message = message }
}

/// Everything the core can ask the world to do. Plain data: the same list drives the live
/// interpreters, the simulator, golden transcripts and replay.
public enum Effect: Codable, Sendable, Hashable {
    case calendly(RequestID, CalendlyCall)
    case send(ChannelMessage)
    case emit(TelemetryEvent)
    case store(StoreCommand)
    case notify(AggregateMessage)
    case schedule(TimerID, after: Span)
    case log(LogEntry)
    case reject(Rejection)
}

/// Performs effects against some world. Results that the core must see come back as replies.
public protocol EffectInterpreter: Sendable {
    func perform(_ effect: Effect) async -> CalendlyReply?
}
