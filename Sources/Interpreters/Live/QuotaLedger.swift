import Core
import Effects
import Foundation

/// Where the booking-quota trackers outlive the process: a restart must not count a Calendly user's
/// day afresh (their cap at Calendly did not reset).
public protocol QuotaLedger: Sendable {
    func loadQuotas() throws -> [String: BookingQuota]
    func saveQuota(_ quota: BookingQuota, owner: String) throws
}

extension SQLiteStore: QuotaLedger {
    public func loadQuotas() throws -> [String: BookingQuota] {
        try transaction { tx in try tx.loadQuotas() }
    }

    public func saveQuota(_ quota: BookingQuota, owner: String) throws {
        try transaction { tx in try tx.saveQuota(quota, owner: owner) }
    }
}
