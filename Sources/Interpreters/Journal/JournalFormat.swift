import Core
import Effects
import Foundation

/// The journal's one on-disk format — the SQLite journal rows and the exported JSON lines alike — and
/// the migration reader for older versions. A record is one JSON line:
///
///     {"version":2,"seq":11,"at":"…","stream":"conversation:acme:chat-1","aggregate":"conversation","id":"acme:chat-1",
///      "input":{"kind":"calendly_replied",…},"effects":[{"kind":"send",…},…],"state_before":{…}}
///
/// `input` and `effects` are written by the explicit coders (JournalCoding*.swift). `state_before` is
/// the aggregate's state in the form the store already persists it (its `Codable` form): it only seeds a
/// replay that starts mid-stream, and JournalFormatGoldenTests pins it like the rest.
///
/// Version history (bump `version` whenever an existing encoding changes — JournalFormatGoldenTests says
/// when; a change to an input or effect encoding also adds a reader case to `record(line:)`):
/// - 1: Swift's synthesized coding, input/effects/state as JSON text inside strings (issue 5).
/// - 2: labelled records, nested objects, compact available times (issue 17).
public enum JournalFormat {
    public static let version = 2

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unsupportedVersion(Int)
        case undecodable(line: Int, reason: String)
        /// A record parsed but its input or state does not fit the aggregate it names.
        case undecodableStep(seq: Int, reason: String)
        public var description: String {
            switch self {
            case .unsupportedVersion(let found):
                return "journal format version \(found) is not supported by this build (it reads versions 1–\(JournalFormat.version)); replay it with a newer build"
            case .undecodable(let line, let reason): return "line \(line): \(reason)"
            case .undecodableStep(let seq, let reason): return "record #\(seq): \(reason)"
            }
        }
    }

    // MARK: Records

    public static func value(_ record: JournalRecord) -> JournalValue {
        .object(["version": .int(Int64(version)), "seq": record.seq.journal, "at": record.at.journal, "stream": record.stream.journal,
                 "aggregate": .string(record.aggregate.rawValue), "id": record.id.journal, "input": record.input,
                 "effects": .array(record.effects), "state_before": record.stateBefore])
    }

    /// The record as one JSON line (what a SQLite journal row's payload and an export line hold).
    public static func line(_ record: JournalRecord) -> String { value(record).json }

    /// Reads a record line of any known version; older versions are migrated to the current form.
    public static func record(line text: String) throws -> JournalRecord {
        let tree = try JournalValue.parse(text)
        let reader = JournalReader(tree)
        let found: Int = try reader("version")
        switch found {
        case 1: return try JournalMigration.fromVersion1(tree)
        // Versions whose input and effect encodings are the current ones (a bump for a state-only change
        // keeps this reader; a bump that changes an input or effect encoding adds a case above).
        case 2...version:
            return JournalRecord(version: found, stream: try reader("stream"), seq: try reader("seq"), at: try reader("at"), aggregate: try aggregate(reader),
                                 id: try reader("id"), input: try reader.field("input").value, effects: try reader.field("effects").items().map(\.value),
                                 stateBefore: try reader.optionalField("state_before")?.value ?? .null)
        default: throw Failure.unsupportedVersion(found)
        }
    }

    static func aggregate(_ reader: JournalReader) throws -> JournalRecord.Aggregate {
        let field = try reader.field("aggregate")
        guard let aggregate = JournalRecord.Aggregate(rawValue: try field.string()) else { throw field.fail("unknown aggregate") }
        return aggregate
    }

    // MARK: Header

    public static func headerLine(_ header: JournalHeader) -> String {
        JournalValue.object(["format": .string(header.format), "version": .int(Int64(header.version)),
                             "reducer_version": .int(Int64(header.reducerVersion)), "exported_at": header.exportedAt.journal]).json
    }

    /// The header of an export, of any version (version 1 spelled its fields in camelCase); nil when the
    /// line is not one.
    public static func header(line text: String) -> JournalHeader? {
        guard let tree = try? JournalValue.parse(text), case .string(JournalRecord.format) = tree["format"] else { return nil }
        let reader = JournalReader(tree)
        guard let version: Int = try? reader("version"),
              let reducerVersion: Int = (try? reader("reducer_version")) ?? (try? reader("reducerVersion")),
              let exportedAt: Instant = (try? reader("exported_at")) ?? (try? reader("exportedAt")) else { return nil }
        return JournalHeader(format: JournalRecord.format, version: version, reducerVersion: reducerVersion, exportedAt: exportedAt)
    }

    // MARK: Files

    /// An exported file: a header line (optional in a hand-made journal), then one record per line.
    public static func parse(_ text: String) throws -> [JournalRecord] {
        var records: [JournalRecord] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            if index == 0, let header = header(line: String(line)) {
                guard (1...version).contains(header.version) else { throw Failure.unsupportedVersion(header.version) }
                continue
            }
            do {
                records.append(try record(line: String(line)))
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure.undecodable(line: index + 1, reason: "\(error)")
            }
        }
        return records
    }
}

/// Reads records of older formats into the current one.
enum JournalMigration {
    /// Version 1 kept input, effects and state as synthesized-`Codable` JSON inside strings: decode them
    /// with the types' `Codable` (still what the store uses), then re-encode input and effects with the
    /// explicit coders. The state's tree is the same form version 2 keeps.
    static func fromVersion1(_ tree: JournalValue) throws -> JournalRecord {
        let reader = JournalReader(tree)
        let aggregate = try JournalFormat.aggregate(reader)
        let inputText: String = try reader("input")
        let input: JournalValue
        switch aggregate {
        case .conversation: input = try synthesized(BookingConversation.Input.self, inputText, "input").journal
        case .connection: input = try synthesized(Connection.Input.self, inputText, "input").journal
        case .config: input = try synthesized(ActionConfig.Input.self, inputText, "input").journal
        case .reference: input = try synthesized(BookingReference.Input.self, inputText, "input").journal
        }
        let effects = try synthesized([Effect].self, try reader("effects"), "effects").map(\.journal)
        let state = try JournalValue.parse(try reader("stateBefore") as String)
        return JournalRecord(version: 1, stream: try reader("stream"), seq: try reader("seq"), at: try reader("at"), aggregate: aggregate, id: try reader("id"),
                             input: input, effects: effects, stateBefore: state)
    }

    static func synthesized<T: Decodable>(_ type: T.Type, _ text: String, _ what: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw JournalDecodingError(path: what, reason: "not a version-1 \(T.self): \(error)")
        }
    }
}
