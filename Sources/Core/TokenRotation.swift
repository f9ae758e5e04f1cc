import Effects

/// What a reply of Calendly's token endpoint (code exchange or refresh) leaves the connection holding
/// (issue 11: the OAuth interpreter used to decide it). The tokens themselves stay in the interpreter's
/// vault; it reads the reply as sent — every field but the access token may be missing — and keeps what
/// these functions say. Whether a grant that cannot be refreshed is accepted at all is `Connection`'s
/// to decide (`TokenGrant.refreshable`).
public enum TokenRotation {
    /// The refresh token to keep: the one the reply carried (Calendly's are single-use, so the old one
    /// is spent); else the one held before — OAuth lets a refresh reply leave it out when it stays valid
    /// (RFC 6749 §6), and dropping it would end a working grant. An empty string is no token: offering
    /// it could only be refused. Nil when neither is there: the grant cannot be refreshed.
    public static func refreshToken(replied: String?, previous: String?) -> String? {
        usable(replied) ?? usable(previous)
    }

    /// The refresh token a refresh grant can offer; nil when there is none — a refresh without one is a
    /// refused refresh (`invalid_grant`), with no request to make.
    public static func usable(_ refreshToken: String?) -> String? {
        guard let refreshToken, !refreshToken.isEmpty else { return nil }
        return refreshToken
    }

    /// Calendly's documented access-token lifetime, assumed when a reply states none.
    public static let defaultLifetime = Span.seconds(7200)

    /// How long the new access token lasts: `expires_in` (seconds) as stated — a stated past expiry is
    /// refreshed at the next check, which is what such a token needs — else Calendly's two hours.
    public static func lifetime(expiresIn: Int?) -> Span {
        guard let expiresIn else { return defaultLifetime }
        return .seconds(Int64(expiresIn))
    }

    /// The scopes granted: the reply's `scope` (space- or comma-separated); a reply that states none
    /// keeps the scopes held before (OAuth: an omitted scope is the one already granted). A first grant
    /// stating none has none, so `Connection` finds the booking scopes missing and says so (S01 ERR-2)
    /// rather than offering booking on a grant that may not allow it.
    public static func scopes(replied: String?, previous: [String]?) -> [String] {
        guard let replied else { return previous ?? [] }
        return replied.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    }
}
