import Core
import Effects
import Foundation

extension SQLiteTransaction {
    /// One Calendly user's booking-quota tracker (`AggregateTransaction`; the step engine consults it
    /// in the step that books). `saveQuota` is the upsert in SQLiteTransaction.swift.
    public mutating func loadQuota(owner: String) throws -> BookingQuota? {
        try checked {
            guard let text = try db.row("SELECT state FROM booking_quotas WHERE owner = ?", [.text(owner)], { $0.text(0) ?? "" }) else { return nil }
            do { return try session.decoder.decode(BookingQuota.self, from: Data(text.utf8)) } catch {
                throw SQLiteStoreError.undecodableRow(table: "booking_quotas", id: owner)
            }
        }
    }
}
