import Core
import Effects
import Synchronization

/// The per-account budgets of the admin and runtime routes, shared by every request of the process.
/// The decision is the Core's `RateLimit`; this only holds it behind a lock and stamps the time.
public final class AccountRateLimiter: Sendable {
    public enum Routes: String, Sendable { case admin, runtime }

    private let state: Mutex<(admin: RateLimit, runtime: RateLimit)>

    public init(_ limits: ConnectionLimits, maxAccounts: Int = 10_000) {
        state = Mutex((admin: RateLimit(policy: .init(capacity: limits.adminPerMinute, window: .minutes(1)), maxKeys: maxAccounts),
                       runtime: RateLimit(policy: .init(capacity: limits.runtimePerMinute, window: .minutes(1)), maxKeys: maxAccounts)))
    }

    static func routes(for permission: Permission) -> Routes {
        switch permission {
        case .configure, .viewAnalytics: return .admin
        case .runBooking: return .runtime
        }
    }

    public func admit(account: AccountID, _ routes: Routes, at now: Instant) -> RateLimit.Verdict {
        state.withLock { limits in
            switch routes {
            case .admin: return limits.admin.admit(account.rawValue, at: now)
            case .runtime: return limits.runtime.admit(account.rawValue, at: now)
            }
        }
    }
}
