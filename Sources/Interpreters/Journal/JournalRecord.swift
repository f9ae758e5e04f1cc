import Core
import Crypto
import Effects
import Foundation
import Synchronization

/// One step of one aggregate as the journal keeps it: the input (with its time, and any Calendly
/// reply it carries), the effects the core produced, and the state before — customer emails and OAuth
/// codes redacted. Input and effects are labelled trees written by the journal's own coders
/// (JournalCoding*.swift); `JournalFormat` writes and reads a record as one JSON line.
public struct JournalRecord: Sendable, Equatable {
    public static let format = "calendly-action-journal"
    public static var currentVersion: Int { JournalFormat.version }

    public enum Aggregate: String, Codable, Sendable { case conversation, connection, config, reference }

    /// The format version the record was read from (older ones are migrated on read).
    public var version: Int
    public var stream: String
    public var seq: Int
    public var at: Instant
    public var aggregate: Aggregate
    public var id: String
    public var input: JournalValue
    public var effects: [JournalValue]
    /// The aggregate's state before the step, so a replay can start at any record.
    public var stateBefore: JournalValue

    public init(version: Int = JournalFormat.version, stream: String, seq: Int, at: Instant, aggregate: Aggregate, id: String,
                input: JournalValue, effects: [JournalValue], stateBefore: JournalValue) {
        self.version = version; self.stream = stream; self.seq = seq; self.at = at; self.aggregate = aggregate; self.id = id
        self.input = input; self.effects = effects; self.stateBefore = stateBefore
    }

    /// A step as the runtime journals it, redacted: every string in it passes through `Redaction`.
    public init<Input: JournalCodable, State: Encodable>(stream: String, at: Instant, aggregate: Aggregate, id: String, input: Input,
                                                         effects: [Effect], stateBefore: State) {
        let redact: (String) -> String = Redaction.redactEmails
        self.init(stream: stream, seq: 0, at: at, aggregate: aggregate, id: id, input: input.journal.mapStrings(redact),
                  effects: effects.map { $0.journal.mapStrings(redact) }, stateBefore: JournalValue.synthesized(stateBefore).mapStrings(redact))
    }
}

/// The first line of an exported journal file.
public struct JournalHeader: Sendable, Equatable {
    public var format: String
    public var version: Int
    public var reducerVersion: Int
    public var exportedAt: Instant
    public init(exportedAt: Instant) {
        format = JournalRecord.format; version = JournalFormat.version; reducerVersion = Redaction.reducerVersion; self.exportedAt = exportedAt
    }
    public init(format: String, version: Int, reducerVersion: Int, exportedAt: Instant) {
        self.format = format; self.version = version; self.reducerVersion = reducerVersion; self.exportedAt = exportedAt
    }
}

public enum Redaction {
    /// Bumped when a reducer change is expected to alter recorded effects on purpose.
    public static let reducerVersion = 2  // 2: attributed fallback links, reschedule facts (issue 6)

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func json<T: Encodable>(_ value: T) -> String {
        guard let data = try? encoder.encode(value) else { return "null" }
        return redactEmails(String(decoding: data, as: UTF8.self))
    }

    /// A telemetry row's payload: the bytes the generic `json` would make, without an encoder run per
    /// event (chosen over the generic one wherever the value is a `TelemetryEvent`; see `TelemetryPayload`).
    public static func json(_ event: TelemetryEvent) -> String {
        redactEmails(TelemetryPayload.json(event))
    }

    /// Until `serve` sets the deployment's key (`useKey`), a fixed, public one: tests and offline tools
    /// get stable placeholders, but only a keyed journal keeps the emails behind them unrecoverable.
    static let publicKey = SymmetricKey(data: Array("calendly-action-public-redaction-key".utf8))
    static let key = Mutex(publicKey)

    /// Sets the email-hash key for this process (`JOURNAL_REDACTION_KEY`, or the data directory's
    /// generated key in demo mode). `serve` calls it once at start, before any journal row is written.
    public static func useKey(_ bytes: [UInt8]) {
        key.withLock { $0 = SymmetricKey(data: bytes) }
        primed.withLock { $0 = HMAC<SHA256>(key: SymmetricKey(data: bytes)) }
    }

    /// The current key already absorbed into an HMAC (kept with `key`): each placeholder copies it
    /// instead of hashing the key again.
    static let primed = Mutex(HMAC<SHA256>(key: publicKey))

    /// Hex digits of the email hash kept in a placeholder (64 bits: no collisions among one tenant's customers).
    static let hashDigits = 16

    /// Replaces every email address with `r-<hash>@example.invalid`, hashing the lowercased address.
    /// The hash is HMAC-SHA256 under the redaction key (issue 10), truncated: without the key a
    /// dictionary of likely addresses cannot be matched against a shared journal.
    /// The placeholder is itself a valid address and is left as it is, so replaying redacted inputs
    /// produces the same redacted effects (the core only validates, lowercases and passes emails on).
    public static func redactEmails(_ text: String) -> String {
        // Every journal step passes its state, input and effects through here: skip the per-Character
        // scan when no address can be in the text, and scan bytes when the text is ASCII (then a byte
        // is a Character and the token rule below reads the same).
        let at = UInt8(ascii: "@")
        guard text.utf8.contains(at) else { return text }
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return redactASCII(text) }
        return redactCharacters(text)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "@") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    static func redactASCII(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard isTokenByte(bytes[index]) else { out.append(bytes[index]); index += 1; continue }
            var end = index
            while end < bytes.count, isTokenByte(bytes[end]) { end += 1 }
            let token = bytes[index..<end]
            if token.contains(UInt8(ascii: "@")) {
                out += Array(redactToken(String(decoding: token, as: UTF8.self)).utf8)
            } else {
                out += token
            }
            index = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A token that looks like an address becomes its placeholder; anything else stays as it is.
    static func redactToken(_ token: String, key: SymmetricKey? = nil) -> String {
        guard let at = token.firstIndex(of: "@"), token[token.index(after: at)...].contains("."), at != token.startIndex else { return token }
        if token.hasSuffix("@example.invalid") && token.hasPrefix("r-") { return token }
        var hmac = key.map { HMAC<SHA256>(key: $0) } ?? primed.withLock { $0 }
        hmac.update(data: Array(token.lowercased().utf8))
        return "r-" + String(Hex.encode(Array(hmac.finalize())).prefix(hashDigits)) + "@example.invalid"
    }

    static func redactCharacters(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var token = ""
        func flush() {
            defer { token = "" }
            out += redactToken(token)
        }
        for character in text {
            if character.isLetter || character.isNumber || "@._+-".contains(character) { token.append(character) } else { flush(); out.append(character) }
        }
        flush()
        return out
    }
}
