import Foundation

/// The aggregate states a connection last read or wrote, each with the exact JSON text it has in its
/// row (issue 16: decoding the stored state was ~14 % of a runtime step). A load whose row holds the
/// same bytes takes the kept value instead of decoding again; any other text — another process wrote
/// the row, or the write that produced this one rolled back — is decoded as before. Bounded: when full
/// it starts over (a working set of active conversations, not a copy of the table).
struct SQLiteDecodedStates {
    static let capacity = 1024
    private var entries: [String: (text: String, value: any Sendable)] = [:]

    /// The kept value of `key` if `row`'s `column` holds exactly its text.
    func value<T>(_ key: String, _ type: T.Type, ifRow row: Statement, column: Int32 = 0) -> T? {
        guard let entry = entries[key], row.textEquals(column, entry.text) else { return nil }
        return entry.value as? T
    }

    /// Keeps `value` as what `text` decodes to. In debug builds (every test run) it checks that claim:
    /// a state whose JSON does not decode back to it equal would make a cached step differ from a cold one.
    mutating func keep<T: Codable & Equatable & Sendable>(_ key: String, text: String, value: T, decoder: JSONDecoder) {
        assert((try? decoder.decode(T.self, from: Data(text.utf8))) == value, "\(T.self) does not survive its own JSON")
        if entries.count >= Self.capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
        entries[key] = (text, value)
    }
}
