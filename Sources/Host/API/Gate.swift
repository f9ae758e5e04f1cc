import Core
import Hummingbird
import Interpreters

/// Authentication and permission for every non-public route. A bad or missing token is 401; a valid
/// caller without the permission gets 404, so nobody learns that a resource exists (PRD: "not rendered").
enum Gate {
    static func principal<Store>(_ request: Request, _ services: HostServices<Store>, _ permission: Permission) -> Decision<Principal> {
        switch services.tokens.verify(authorization: request.authorization, now: services.now()) {
        case .failure(let failure):
            return .failure(APIResponse.error(.unauthorized, "unauthorized", failure.description))
        case .success(let principal):
            // Per account, after authentication (an unauthenticated caller has no account to charge).
            if case .limited(let seconds) = services.rateLimiter.admit(account: principal.account, AccountRateLimiter.routes(for: permission), at: services.now()) {
                var response = APIResponse.error(.tooManyRequests, "rate_limited", "Too many requests for this account. Retry after \(seconds) s.")
                response.headers[.retryAfter] = String(seconds)
                return .failure(response)
            }
            guard Access.allows(principal, permission) else { return .failure(APIResponse.notFound) }
            return .success(principal)
        }
    }

    static func entitlements(_ principal: Principal) -> AccountEntitlements {
        AccountEntitlements(hasAIAgent: principal.features.contains(Access.feature), hasNativeIntegrations: principal.addons.contains(Access.addon),
                            calendlyFlagOn: principal.flags.contains(Access.flag))
    }

    /// Path ids and token accounts follow `ResourceID`'s rule (Core).
    static func validID(_ raw: String?) -> String? { ResourceID.valid(raw) }
}

/// Either a value to go on with, or the response to answer right away.
enum Decision<Value> {
    case success(Value)
    case failure(Response)
}
