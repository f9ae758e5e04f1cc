import Effects
import Foundation

/// One journal row as a store keeps it: the store's own sequence number, the stream it belongs to
/// ("conversation:<id>", "agent:<id>", "webhooks"), its time, its kind and the payload.
public struct JournalRow: Sendable, Equatable {
    public var seq: Int64
    public var stream: String
    public var at: Instant
    public var kind: String
    public var payload: String

    public init(seq: Int64, stream: String, at: Instant, kind: String, payload: String) {
        self.seq = seq; self.stream = stream; self.at = at; self.kind = kind; self.payload = payload
    }
}

/// Turns stored journal rows into the exported file `replay` reads: a `JournalHeader` line, then one
/// `JournalRecord` per line (`JournalFormat`), each numbered with its row's `seq` so an incident can name a step.
public enum JournalExport {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// `reason` names where (`input.reply.kind: unknown kind "…"`), never a value beyond the redacted row's own.
        case undecodableRow(seq: Int64, reason: String)
        public var description: String {
            switch self {
            case .undecodableRow(let seq, let reason): return "journal row \(seq) is not a journal record this build reads (\(reason))"
            }
        }
    }

    /// The records of `rows` whose time lies in `from...to` (either bound optional), in row order. A row
    /// written in an older format is migrated as it is read.
    public static func records(_ rows: [JournalRow], from: Instant? = nil, to: Instant? = nil) throws -> [JournalRecord] {
        try rows.compactMap { row in
            if let from, row.at < from { return nil }
            if let to, row.at > to { return nil }
            do {
                var record = try JournalFormat.record(line: row.payload)
                record.seq = Int(row.seq)
                return record
            } catch {
                throw Failure.undecodableRow(seq: row.seq, reason: "\(error)")
            }
        }
    }

    /// The JSONL text: header, then records in the current format (stable byte for byte).
    public static func text(_ records: [JournalRecord], exportedAt: Instant) -> String {
        var lines = [JournalFormat.headerLine(JournalHeader(exportedAt: exportedAt))]
        lines += records.map(JournalFormat.line)
        return lines.joined(separator: "\n") + "\n"
    }
}
