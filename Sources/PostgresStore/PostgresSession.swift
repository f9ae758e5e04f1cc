import Foundation
import Logging
import PostgresNIO

/// A bound value. Typed, so postgres-nio sends the parameter's type and the server never guesses.
enum PostgresValue {
    case text(String)
    case optionalText(String?)
    case integer(Int64)
    case optionalInteger(Int64?)
    case bytes([UInt8])
}

/// One pooled connection and what a transaction shares with it. Used by one transaction at a time, on the
/// calling thread only (the pool hands it out exclusively), hence no lock of its own.
final class PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    /// Prefixes advisory-lock keys: the store's schema, so stores on different schemas never contend.
    let lockNamespace: String
    /// The host whose transactions this session runs: recorded as the driver of the conversations it saves.
    let host: String
    let encoder: JSONEncoder
    let decoder = JSONDecoder()
    /// The first failure inside the current transaction (set by non-throwing `DurableState` methods).
    var failure: (any Error)?

    init(connection: PostgresConnection, logger: Logger, lockNamespace: String, host: String) {
        self.host = host
        self.connection = connection
        self.logger = logger
        self.lockNamespace = lockNamespace
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Runs one statement and returns its rows (random access: columns are read by index).
    @discardableResult
    func rows(_ sql: String, _ values: [PostgresValue] = [], operation: String) throws -> [PostgresRandomAccessRow] {
        try execute(sql, values, operation: operation).rows.map { $0.makeRandomAccess() }
    }

    /// Runs one statement and returns how many rows it touched.
    @discardableResult
    func run(_ sql: String, _ values: [PostgresValue] = [], operation: String) throws -> Int {
        try execute(sql, values, operation: operation).metadata.rows ?? 0
    }

    func execute(_ sql: String, _ values: [PostgresValue], operation: String) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text):
                try Self.refuseNul(text, operation)
                binds.append(text)
            case .optionalText(let text):
                if let text { try Self.refuseNul(text, operation) }
                binds.append(text)
            case .integer(let number): binds.append(number)
            case .optionalInteger(let number): binds.append(number)
            case .bytes(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        do {
            return try PostgresBlocking.wait(connection.query(query, logger: logger))
        } catch {
            throw PostgresStoreError.wrap(error, operation: operation)
        }
    }

    static func refuseNul(_ text: String, _ operation: String) throws {
        if text.utf8.contains(0) { throw PostgresStoreError.nulInText(operation: operation) }
    }

    /// Takes a transaction-scoped advisory lock on `key` (released at COMMIT or ROLLBACK), waiting for
    /// another host's transaction that holds it. A statement of its own: under READ COMMITTED every
    /// statement takes a fresh snapshot, so the read that follows sees what the previous holder committed.
    func lock(_ key: String) throws {
        try rows("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.text("\(lockNamespace)|\(key)")], operation: "lock")
    }

    func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String, id: String) throws -> T {
        do { return try decoder.decode(type, from: Data(text.utf8)) } catch {
            throw PostgresStoreError.undecodableRow(table: table, id: id)
        }
    }
}

/// Typed reads of one result row by column index; a cell of another type is an undecodable row.
extension PostgresRandomAccessRow {
    func text(_ index: Int) throws -> String {
        do { return try self[index].decode(String.self) } catch { throw PostgresStoreError.undecodableRow(table: "column \(index)", id: "text") }
    }

    func optionalText(_ index: Int) throws -> String? {
        do { return try self[index].decode(String?.self) } catch { throw PostgresStoreError.undecodableRow(table: "column \(index)", id: "text") }
    }

    func int64(_ index: Int) throws -> Int64 {
        do { return try self[index].decode(Int64.self) } catch { throw PostgresStoreError.undecodableRow(table: "column \(index)", id: "bigint") }
    }

    func optionalInt64(_ index: Int) throws -> Int64? {
        do { return try self[index].decode(Int64?.self) } catch { throw PostgresStoreError.undecodableRow(table: "column \(index)", id: "bigint") }
    }

    func bytes(_ index: Int) throws -> [UInt8] {
        do {
            var buffer = try self[index].decode(ByteBuffer.self)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch { throw PostgresStoreError.undecodableRow(table: "column \(index)", id: "bytea") }
    }
}
