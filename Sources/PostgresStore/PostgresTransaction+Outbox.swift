import Core
import Effects
import Foundation
import Interpreters
import PostgresNIO

/// The durable outbox and timers (issue 11), as `SQLiteTransaction` keeps them. Orderings over text
/// use COLLATE "C": byte order, what SQLite's BINARY collation gives, whatever the database's locale.
extension PostgresTransaction {
    /// One statement takes the next sequence number: the upsert locks the conversation's counter row, so
    /// two hosts appending to one conversation get 1, 2, … without a gap or a repeat.
    public mutating func appendOutbox(_ message: ChannelMessage, at: Instant) throws -> Int64 {
        try checked {
            let conversation = PostgresValue.text(message.conversation.rawValue)
            guard let seq = try session.rows("""
                INSERT INTO outbox_sequences AS s(conversation, last_seq) VALUES ($1, 1)
                ON CONFLICT(conversation) DO UPDATE SET last_seq = s.last_seq + 1 RETURNING last_seq
                """, [conversation], operation: "outbox sequence").first?.int64(0) else {
                throw PostgresStoreError.undecodableRow(table: "outbox_sequences", id: message.conversation.rawValue)
            }
            try session.run("INSERT INTO conversation_outbox(conversation, seq, at_ms, message) VALUES ($1, $2, $3, $4)",
                            [conversation, .integer(seq), .integer(at.millisecondsSince1970), .text(try session.json(message))],
                            operation: "append outbox")
            return seq
        }
    }

    private func readOutbox(_ row: PostgresRandomAccessRow) throws -> OutboxMessage {
        let conversation = ConversationID(try row.text(0))
        let seq = try row.int64(1)
        guard let message = try? session.decoder.decode(ChannelMessage.self, from: Data(try row.text(3).utf8)) else {
            throw PostgresStoreError.undecodableRow(table: "conversation_outbox", id: "\(conversation)/\(seq)")
        }
        return OutboxMessage(conversation: conversation, seq: seq, at: Instant(millisecondsSince1970: try row.int64(2)), message: message,
                             attempts: Int(clamping: try row.int64(4)))
    }

    public mutating func outbox(_ conversation: ConversationID, after: Int64, limit: Int) throws -> [OutboxMessage] {
        try checked {
            try session.rows("""
                SELECT conversation, seq, at_ms, message, callback_attempts FROM conversation_outbox
                WHERE conversation = $1 AND seq > $2 ORDER BY seq LIMIT $3
                """, [.text(conversation.rawValue), .integer(after), .integer(Int64(max(0, limit)))], operation: "outbox").map(readOutbox)
        }
    }

    public mutating func callbacksDue(at: Instant, limit: Int) throws -> [OutboxMessage] {
        try checked {
            // Per conversation only the oldest undelivered message is a candidate: delivery stays in order.
            try session.rows("""
                SELECT o.conversation, o.seq, o.at_ms, o.message, o.callback_attempts FROM conversation_outbox o
                JOIN (SELECT conversation, MIN(seq) AS seq FROM conversation_outbox WHERE callback_delivered_at_ms IS NULL GROUP BY conversation) first
                  ON first.conversation = o.conversation AND first.seq = o.seq
                WHERE o.callback_next_at_ms <= $1 ORDER BY o.at_ms, o.conversation COLLATE "C" LIMIT $2
                """, [.integer(at.millisecondsSince1970), .integer(Int64(max(0, limit)))], operation: "callbacks due").map(readOutbox)
        }
    }

    public mutating func callbackDelivered(_ conversation: ConversationID, seq: Int64, at: Instant) throws {
        try checked {
            try session.run("UPDATE conversation_outbox SET callback_delivered_at_ms = $1 WHERE conversation = $2 AND seq = $3",
                            [.integer(at.millisecondsSince1970), .text(conversation.rawValue), .integer(seq)], operation: "callback delivered")
        }
    }

    public mutating func callbackDeferred(_ conversation: ConversationID, seq: Int64, attempts: Int, nextAttemptAt: Instant) throws {
        try checked {
            try session.run("UPDATE conversation_outbox SET callback_attempts = $1, callback_next_at_ms = $2 WHERE conversation = $3 AND seq = $4",
                            [.integer(Int64(attempts)), .integer(nextAttemptAt.millisecondsSince1970), .text(conversation.rawValue), .integer(seq)],
                            operation: "callback deferred")
        }
    }

    public mutating func deleteOutbox(before: Instant) throws {
        try checked {
            try session.run("DELETE FROM conversation_outbox WHERE at_ms < $1", [.integer(before.millisecondsSince1970)], operation: "outbox retention")
        }
    }

    public mutating func putTimer(_ timer: DurableTimer) throws {
        try checked {
            try session.run("""
                INSERT INTO timers(conversation, timer, due_at_ms) VALUES ($1, $2, $3)
                ON CONFLICT(conversation, timer) DO UPDATE SET due_at_ms = excluded.due_at_ms
                """, [.text(timer.conversation.rawValue), .text(timer.timer.rawValue), .integer(timer.due.millisecondsSince1970)], operation: "put timer")
        }
    }

    /// True for one caller only: a second host deleting the same timer waits for the first's row lock,
    /// then finds nothing to delete — a timer fires once across hosts.
    @discardableResult
    public mutating func deleteTimer(_ conversation: ConversationID, _ timer: TimerID) throws -> Bool {
        try checked {
            // The delete is the claim. `SKIP LOCKED`: while another host's transaction is deleting (firing) the
            // same timer, this one does not wait to find it gone — it is not ours to fire either way.
            try session.run("""
                DELETE FROM timers WHERE ctid IN (SELECT ctid FROM timers WHERE conversation = $1 AND timer = $2 FOR UPDATE SKIP LOCKED)
                """, [.text(conversation.rawValue), .text(timer.rawValue)], operation: "delete timer") == 1
        }
    }

    /// `SKIP LOCKED`: a timer another host is firing right now (its row locked by that host's delete) is
    /// not handed out here too.
    public mutating func dueTimers(at: Instant, limit: Int) throws -> [DurableTimer] {
        try checked {
            try session.rows("""
                SELECT conversation, timer, due_at_ms FROM timers WHERE due_at_ms <= $1
                ORDER BY due_at_ms, conversation COLLATE "C", timer COLLATE "C" LIMIT $2 FOR UPDATE SKIP LOCKED
                """, [.integer(at.millisecondsSince1970), .integer(Int64(max(0, limit)))], operation: "due timers").map { row in
                DurableTimer(conversation: ConversationID(try row.text(0)), timer: TimerID(try row.text(1)), due: Instant(millisecondsSince1970: try row.int64(2)))
            }
        }
    }

    public mutating func nextTimerDue() throws -> Instant? {
        try checked {
            try session.rows("SELECT MIN(due_at_ms) FROM timers", operation: "next timer").first?.optionalInt64(0).map { Instant(millisecondsSince1970: $0) }
        }
    }
}
