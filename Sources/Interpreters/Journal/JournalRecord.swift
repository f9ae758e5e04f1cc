import Core
import Effects
import Foundation

/// One step of one aggregate as the journal keeps it: the input (with its time, and any Calendly
/// reply it carries), the effects the core produced, and the state after — customer emails and OAuth
/// codes redacted. Versioned: replay refuses formats it does not know.
public struct JournalRecord: Codable, Sendable, Equatable {
    public static let format = "calendly-action-journal"
    public static let currentVersion = 1

    public enum Aggregate: String, Codable, Sendable { case conversation, connection, config }

    public var version: Int
    public var stream: String
    public var seq: Int
    public var at: Instant
    public var aggregate: Aggregate
    public var id: String
    /// The input as sorted-key JSON (redacted).
    public var input: String
    /// The effects as a sorted-key JSON array (redacted).
    public var effects: String
    /// The aggregate's state before the step (redacted), so a replay can start at any record.
    public var stateBefore: String

    public init(version: Int = JournalRecord.currentVersion, stream: String, seq: Int, at: Instant, aggregate: Aggregate, id: String,
                input: String, effects: String, stateBefore: String) {
        self.version = version; self.stream = stream; self.seq = seq; self.at = at; self.aggregate = aggregate; self.id = id
        self.input = input; self.effects = effects; self.stateBefore = stateBefore
    }
}

/// The first line of an exported journal file.
public struct JournalHeader: Codable, Sendable, Equatable {
    public var format: String
    public var version: Int
    public var reducerVersion: Int
    public var exportedAt: Instant
    public init(exportedAt: Instant) {
        format = JournalRecord.format; version = JournalRecord.currentVersion; reducerVersion = Redaction.reducerVersion; self.exportedAt = exportedAt
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

    /// Replaces every email address with `r-<hash>@example.invalid`, hashing the lowercased address.
    /// The placeholder is itself a valid address and is left as it is, so replaying redacted inputs
    /// produces the same redacted effects (the core only validates, lowercases and passes emails on).
    public static func redactEmails(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var token = ""
        func flush() {
            defer { token = "" }
            guard let at = token.firstIndex(of: "@"), token[token.index(after: at)...].contains("."), at != token.startIndex else { out += token; return }
            if token.hasSuffix("@example.invalid") && token.hasPrefix("r-") { out += token; return }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in token.lowercased().utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            out += "r-" + String(String(hash, radix: 16).prefix(10)) + "@example.invalid"
        }
        for character in text {
            if character.isLetter || character.isNumber || "@._+-".contains(character) { token.append(character) } else { flush(); out.append(character) }
        }
        flush()
        return out
    }
}
