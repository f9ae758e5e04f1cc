import Core
import Effects
import Foundation

/// A value the journal writes and reads with its own explicit coder (JournalCoding+*.swift), never
/// through Swift's synthesized `Codable`: renaming or reordering a Swift associated value cannot
/// change a stored record. Enums are objects whose first member is `"kind"` (snake_case), fields are
/// labelled snake_case, absent optionals are left out.
///
/// Adding a case to a journaled enum is a compile error in its coder's `switch`; the new case then
/// needs a `kind` name here, a line in the README's record table, a fixture in `JournalFixtures`,
/// and a regenerated format golden (which asks for a `JournalFormat.version` bump when an existing
/// encoding changed).
public protocol JournalCodable {
    var journal: JournalValue { get }
    init(journal: JournalReader) throws
}

/// Why a journal value could not be read: the path (`input.reply.slots[3].first`) says where.
public struct JournalDecodingError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path.isEmpty ? "record" : path): \(reason)" }
}

/// A cursor into a parsed journal value that remembers its path, for errors a person can act on.
public struct JournalReader {
    public let value: JournalValue
    public let path: String

    public init(_ value: JournalValue, path: String = "") { self.value = value; self.path = path }

    public func fail(_ reason: String) -> JournalDecodingError { JournalDecodingError(path: path, reason: reason) }

    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member `key`; absent (or null) is an error.
    public func field(_ key: String) throws -> JournalReader {
        guard case .members = value else { throw fail("expected an object") }
        guard let member = value[key], member != .null else { throw JournalDecodingError(path: child(key), reason: "missing") }
        return JournalReader(member, path: child(key))
    }

    public func optionalField(_ key: String) throws -> JournalReader? {
        guard case .members = value else { throw fail("expected an object") }
        guard let member = value[key], member != .null else { return nil }
        return JournalReader(member, path: child(key))
    }

    public func callAsFunction<T: JournalCodable>(_ key: String) throws -> T { try T(journal: field(key)) }
    public func optional<T: JournalCodable>(_ key: String) throws -> T? { try optionalField(key).map(T.init(journal:)) }

    /// The enum case name (`"kind"`).
    public func kind() throws -> String { try String(journal: field("kind")) }

    public func string() throws -> String {
        guard case .string(let text) = value else { throw fail("expected a string") }
        return text
    }

    public func int64() throws -> Int64 {
        guard case .int(let number) = value else { throw fail("expected an integer") }
        return number
    }

    public func items() throws -> [JournalReader] {
        guard case .array(let items) = value else { throw fail("expected an array") }
        return items.enumerated().map { JournalReader($0.element, path: path + "[\($0.offset)]") }
    }

    public func unknownKind(_ kind: String) -> JournalDecodingError { JournalDecodingError(path: child("kind"), reason: "unknown kind \"\(kind)\"") }
}

extension JournalCodable {
    /// Decodes a whole value from its JSON text.
    public static func fromJournal(_ text: String) throws -> Self { try Self(journal: JournalReader(try JournalValue.parse(text))) }
}

// MARK: - Leaves

extension String: JournalCodable {
    public var journal: JournalValue { .string(self) }
    public init(journal: JournalReader) throws { self = try journal.string() }
}

extension Bool: JournalCodable {
    public var journal: JournalValue { .bool(self) }
    public init(journal: JournalReader) throws {
        guard case .bool(let value) = journal.value else { throw journal.fail("expected true or false") }
        self = value
    }
}

extension Int: JournalCodable {
    public var journal: JournalValue { .int(Int64(self)) }
    public init(journal: JournalReader) throws {
        // Int is 64-bit on every platform this runs on; the check keeps a 32-bit build from trapping.
        guard let value = Int(exactly: try journal.int64()) else { throw journal.fail("integer out of range") }
        self = value
    }
}

extension Int64: JournalCodable {
    public var journal: JournalValue { .int(self) }
    public init(journal: JournalReader) throws { self = try journal.int64() }
}

/// ISO 8601 UTC, millisecond precision when there is any (the form `Instant` prints). An instant
/// outside years 0000–9999 has no such form: it is written as its milliseconds, so it still replays exactly.
extension Instant: JournalCodable {
    static let iso8601Range: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    public var journal: JournalValue { Self.iso8601Range.contains(millisecondsSince1970) ? .string(iso8601) : .int(millisecondsSince1970) }
    public init(journal: JournalReader) throws {
        if case .int(let milliseconds) = journal.value { self = Instant(millisecondsSince1970: milliseconds); return }
        guard let instant = Instant(iso8601: try journal.string()) else { throw journal.fail("not an ISO 8601 UTC time") }
        self = instant
    }
}

/// Whole milliseconds (fields holding one are named `…_ms`).
extension Span: JournalCodable {
    public var journal: JournalValue { .int(milliseconds) }
    public init(journal: JournalReader) throws { self = Span(milliseconds: try journal.int64()) }
}

extension Array: JournalCodable where Element: JournalCodable {
    public var journal: JournalValue { .array(map(\.journal)) }
    public init(journal: JournalReader) throws { self = try journal.items().map(Element.init(journal:)) }
}

/// Identifiers and string-valued enums are bare strings; an unknown raw value is an error, not a guess.
public protocol JournalRawString: JournalCodable, RawRepresentable where RawValue == String {}

extension JournalRawString {
    public var journal: JournalValue { .string(rawValue) }
    public init(journal: JournalReader) throws {
        guard let value = Self(rawValue: try journal.string()) else { throw journal.fail("unknown value \"\(try journal.string())\"") }
        self = value
    }
}

extension AgentID: JournalRawString {}
extension ConversationID: JournalRawString {}
extension RequestID: JournalRawString {}
extension BookingKey: JournalRawString {}
extension DeliveryID: JournalRawString {}
extension TokenReference: JournalRawString {}
extension OAuthState: JournalRawString {}
extension CalendlyURI: JournalRawString {}
extension ConversationReference: JournalRawString {}
extension TimerID: JournalRawString {}
extension FieldRef: JournalRawString {}
extension Channel: JournalRawString {}
extension LogLevel: JournalRawString {}
extension EventTypeKind: JournalRawString {}
extension PoolingType: JournalRawString {}
extension BookingMethod: JournalRawString {}
extension NotOfferedReason: JournalRawString {}
extension InviteeNotice.Kind: JournalRawString {}
