import Effects

/// The stored telemetry row's payload, written by hand (issue 16, round 4): the exact bytes
/// `Redaction.json(event)` made — a Foundation `JSONEncoder` run (sorted keys, slashes unescaped) per
/// event, 5 % of `serve`'s CPU under webhook ingest, on the group-commit batch's serial thread. The
/// shape is Swift's synthesized enum coding, `{"<case>":{"<label>":value,…}}`, labels in byte order;
/// `TelemetryPayloadProperties` compares both writers on generated events, extremes included.
public enum TelemetryPayload {
    public static func json(_ event: TelemetryEvent) -> String {
        var out = JSONBytes()
        switch event {
        case .connected(let agent, let accountEmail, let organization, let at):
            out.open("connected")
            out.field("accountEmail", accountEmail); out.field("agent", agent.rawValue); out.field("at", at.iso8601)
            out.field("organization", organization.rawValue)
        case .connectFailed(let agent, let reason, let at):
            out.open("connectFailed")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("reason", reason)
        case .eventTypesFetchFailed(let agent, let reason, let cacheUsed, let at):
            out.open("eventTypesFetchFailed")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("cacheUsed", cacheUsed); out.field("reason", reason)
        case .bookingOffered(let agent, let conversation, let eventType, let channel, let at):
            out.open("bookingOffered")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("channel", channel.rawValue)
            out.field("conversation", conversation.rawValue); out.field("eventType", eventType.rawValue)
        case .bookingCreated(let agent, let conversation, let eventType, let scheduledTime, let at):
            out.open("bookingCreated")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("conversation", conversation.rawValue)
            out.field("eventType", eventType.rawValue); out.field("scheduledTime", scheduledTime.iso8601)
        case .slotConflict(let agent, let conversation, let eventType, let at):
            out.open("slotConflict")
            out.conversationFields(agent, at, conversation, eventType)
        case .bookingFailed(let agent, let conversation, let reason, let at):
            out.open("bookingFailed")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("conversation", conversation.rawValue)
            out.field("reason", reason)
        case .webhookRejected(let reason, let at):
            out.open("webhookRejected")
            out.field("at", at.iso8601); out.field("reason", reason)
        case .bookingCanceled(let agent, let conversation, let eventType, let at):
            out.open("bookingCanceled")
            out.conversationFields(agent, at, conversation, eventType)
        case .webhookSubscriptionRecreated(let agent, let reason, let at):
            out.open("webhookSubscriptionRecreated")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("reason", reason)
        case .bookingRescheduled(let agent, let conversation, let eventType, let at):
            out.open("bookingRescheduled")
            out.conversationFields(agent, at, conversation, eventType)
        case .fallbackBooked(let agent, let conversation, let eventType, let at):
            out.open("fallbackBooked")
            out.conversationFields(agent, at, conversation, eventType)
        case .bookingQuotaHigh(let owner, let used, let cap, let at):
            out.open("bookingQuotaHigh")
            out.field("at", at.iso8601); out.field("cap", cap); out.field("owner", owner.rawValue); out.field("used", used)
        case .actionNeedsReview(let agent, let reason, let at):
            out.open("actionNeedsReview")
            out.field("agent", agent.rawValue); out.field("at", at.iso8601); out.field("reason", reason)
        }
        out.close()
        return String(decoding: out.bytes, as: UTF8.self)
    }
}

/// One event's object as Foundation's encoder writes it: no spaces, strings escaped its way
/// (`\b \t \n \f \r` short, other controls `\u00xx` in lower-case hex, everything else as it is).
struct JSONBytes {
    var bytes: [UInt8] = []
    var first = true

    init() { bytes.reserveCapacity(256) }

    mutating func open(_ caseName: String) {
        bytes.append(UInt8(ascii: "{")); string(caseName); bytes.append(UInt8(ascii: ":")); bytes.append(UInt8(ascii: "{"))
    }

    mutating func close() { bytes.append(UInt8(ascii: "}")); bytes.append(UInt8(ascii: "}")) }

    mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name); bytes.append(UInt8(ascii: ":"))
    }

    mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    mutating func field(_ name: String, _ value: Int) { key(name); bytes += Array(String(value).utf8) }
    mutating func field(_ name: String, _ value: Bool) { key(name); bytes += Array((value ? "true" : "false").utf8) }

    /// The four labels the per-booking events share, in byte order.
    mutating func conversationFields(_ agent: AgentID, _ at: Instant, _ conversation: ConversationID, _ eventType: CalendlyURI) {
        field("agent", agent.rawValue); field("at", at.iso8601); field("conversation", conversation.rawValue); field("eventType", eventType.rawValue)
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                bytes += Array("\\u00".utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)]); bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
