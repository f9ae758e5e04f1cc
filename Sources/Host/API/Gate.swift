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
            guard Access.allows(principal, permission) else { return .failure(APIResponse.notFound) }
            return .success(principal)
        }
    }

    static func entitlements(_ principal: Principal) -> AccountEntitlements {
        AccountEntitlements(hasAIAgent: principal.features.contains(Access.feature), hasNativeIntegrations: principal.addons.contains(Access.addon),
                            calendlyFlagOn: principal.flags.contains(Access.flag))
    }

    /// Path ids (and token accounts): 1–128 characters of letters, digits, `-`, `_`, `.` — never `.` or `..`
    /// (path segments with a meaning of their own) and never `:` (the account separator of stored ids).
    static func validID(_ raw: String?) -> String? {
        guard let raw, (1...128).contains(raw.utf8.count), raw != ".", raw != "..",
              raw.utf8.allSatisfy({ byte in
                  (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                      || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                      || byte == UInt8(ascii: ".")
              }) else { return nil }
        return raw
    }
}

/// Either a value to go on with, or the response to answer right away.
enum Decision<Value> {
    case success(Value)
    case failure(Response)
}
