import Effects
import Foundation
import Interpreters

/// `auth.calendly.com`: authorize (auto-approve, or `deny=1`), token (authorization code with PKCE,
/// single-use refresh tokens), revoke, introspect. Form and JSON bodies are both accepted, and query
/// parameters too: Calendly's OAuth server reads query and body together (real clients such as
/// calendly-python send the client credentials in the query string; research notes §9).
extension EmulatorModel {
    func authorize(_ request: EmulatorRequest) -> EmulatorReply {
        let query = request.query
        guard query["client_id"] == EmulatorModel.clientID else {
            return .oauth(400, "invalid_client", "Unknown client_id.")
        }
        guard let redirect = query["redirect_uri"], let redirectURL = URL(string: redirect), redirectURL.scheme != nil, redirectURL.host != nil else {
            return .oauth(400, "invalid_request", "redirect_uri is missing or invalid.")
        }
        let state = query["state"]
        func back(_ pairs: [(String, String)]) -> EmulatorReply {
            let all = pairs + (state.map { [("state", $0)] } ?? [])
            let encoded = all.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
            return .redirect(redirect + (redirect.contains("?") ? "&" : "?") + encoded)
        }
        guard query["response_type"] == "code" else {
            return back([("error", "unsupported_response_type"), ("error_description", "response_type must be code")])
        }
        if query["deny"] == "1" || query["deny"] == "true" {
            return back([("error", "access_denied"), ("error_description", "The resource owner or authorization server denied the request.")])
        }
        let method = query["code_challenge_method"] ?? (query["code_challenge"] == nil ? nil : "plain")
        if let method, method != "S256", method != "plain" {
            return back([("error", "invalid_request"), ("error_description", "code_challenge_method must be S256 or plain")])
        }
        let requested = (query["scope"] ?? "").split(whereSeparator: { $0 == " " || $0 == "+" || $0 == "," }).map(String.init)
        if let unknown = requested.first(where: { !EmulatorModel.knownScopes.contains($0) && $0 != "default" }) {
            return back([("error", "invalid_scope"), ("error_description", "Unknown scope \(unknown)")])
        }
        let scopes = requested.isEmpty || requested == ["default"] ? EmulatorModel.knownScopes : requested
        let code = "emu_code_" + randomToken()
        codes[code] = CodeGrant(clientID: EmulatorModel.clientID, redirectURI: redirect, challenge: query["code_challenge"],
                                challengeMethod: method, scopes: scopes, issuedAt: now, used: false)
        return back([("code", code)])
    }

    /// Body fields over query parameters (the body wins where both name one).
    func oauthFields(_ request: EmulatorRequest) -> [String: String] {
        request.formFields.merging(request.query) { body, _ in body }
    }

    func token(_ request: EmulatorRequest) -> EmulatorReply {
        let fields = oauthFields(request)
        let client: (id: String, secret: String?)
        switch clientCredentials(request, fields) {
        case .success(let credentials): client = credentials
        case .failure(let reply): return reply
        }
        switch fields["grant_type"] {
        case "authorization_code"?:
            guard let code = fields["code"], !code.isEmpty else { return .oauth(400, "invalid_request", "code is required.") }
            guard var grant = codes[code], !grant.used, now - grant.issuedAt <= EmulatorModel.authorizationCodeLifetime,
                  grant.clientID == client.id else {
                return Self.invalidGrant
            }
            if let redirect = fields["redirect_uri"], redirect != grant.redirectURI { return Self.invalidGrant }
            if let challenge = grant.challenge {
                guard let verifier = fields["code_verifier"], !verifier.isEmpty else { return Self.invalidGrant }
                let computed = grant.challengeMethod == "S256" ? CalendlyPKCE.challenge(for: verifier) : verifier
                guard computed == challenge else { return Self.invalidGrant }
            } else if client.secret == nil {
                return .oauth(401, "invalid_client", "Client authentication failed.")
            }
            grant.used = true
            codes[code] = grant
            let pair = mintTokens(scopes: grant.scopes, clientID: client.id, family: nil)
            return tokenReply(pair, scopes: grant.scopes)
        case "refresh_token"?:
            guard let token = fields["refresh_token"], !token.isEmpty else { return .oauth(400, "invalid_request", "refresh_token is required.") }
            // Single-use: a refresh token that was used (or revoked) never works again.
            guard var grant = refreshTokens[token], !grant.used, !grant.revoked, grant.clientID == client.id else { return Self.invalidGrant }
            grant.used = true
            refreshTokens[token] = grant
            let pair = mintTokens(scopes: grant.scopes, clientID: client.id, family: grant.family)
            return tokenReply(pair, scopes: grant.scopes)
        case nil:
            return .oauth(400, "invalid_request", "grant_type is required.")
        case let other?:
            return .oauth(400, "unsupported_grant_type", "grant_type \(other) is not supported.")
        }
    }

    /// RFC 7009: an unknown token is not an error. Revoking either token of a grant ends both.
    func revoke(_ request: EmulatorRequest) -> EmulatorReply {
        let fields = oauthFields(request)
        if case .failure(let reply) = clientCredentials(request, fields) { return reply }
        guard let token = fields["token"], !token.isEmpty else { return .oauth(400, "invalid_request", "token is required.") }
        if let family = accessTokens[token]?.family ?? refreshTokens[token]?.family { revokeFamily(family) }
        return .json(200, .object([:]))
    }

    /// Ends the grant (access and refresh tokens, every rotation of it) that `accessToken` belongs to, or
    /// every grant when nil — as when the user removes the app in Calendly.
    public func revokeGrants(ofAccessToken accessToken: String? = nil) {
        guard let accessToken else {
            for key in accessTokens.keys { accessTokens[key]?.revoked = true }
            for key in refreshTokens.keys { refreshTokens[key]?.revoked = true }
            return
        }
        if let family = accessTokens[accessToken]?.family { revokeFamily(family) }
    }

    /// `POST /oauth/introspect` {client_id, client_secret, token} → `{active, scope, client_id, token_type,
    /// exp, iat, owner, organization}`, or `{active: false}` for a token that is unknown, revoked, used or
    /// expired (RFC 7662; Calendly's introspect page, research notes §1.7).
    func introspect(_ request: EmulatorRequest) -> EmulatorReply {
        let fields = oauthFields(request)
        if case .failure(let reply) = clientCredentials(request, fields) { return reply }
        guard let token = fields["token"], !token.isEmpty else { return .oauth(400, "invalid_request", "token is required.") }
        if let grant = accessTokens[token], !grant.revoked, grant.expiresAt > now {
            return .json(200, .object([
                "active": .bool(true), "scope": .string(grant.scopes.joined(separator: " ")), "client_id": .string(EmulatorModel.clientID),
                "token_type": .string("Bearer"), "exp": .int(Int(grant.expiresAt.secondsSince1970)),
                "iat": .int(Int((grant.issuedAt ?? now).secondsSince1970)),
                "owner": .string(account.uri), "organization": .string(account.organization),
            ]))
        }
        if let grant = refreshTokens[token], !grant.used, !grant.revoked {
            return .json(200, .object([
                "active": .bool(true), "scope": .string(grant.scopes.joined(separator: " ")), "client_id": .string(grant.clientID),
                "token_type": .string("refresh_token"), "owner": .string(account.uri), "organization": .string(account.organization),
            ]))
        }
        return .json(200, .object(["active": .bool(false)]))
    }

    static let invalidGrant = EmulatorReply.oauth(
        400, "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
    )

    /// HTTP Basic, or `client_id` (+ `client_secret`) in the body. A secret, when given, must be right.
    func clientCredentials(_ request: EmulatorRequest, _ fields: [String: String]) -> Result<(id: String, secret: String?), EmulatorReply> {
        var id = fields["client_id"]
        var secret = fields["client_secret"]
        if let header = request.header("authorization"), header.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
                return .failure(.oauth(401, "invalid_client", "Client authentication failed."))
            }
            id = String(text[..<colon]).removingPercentEncoding
            secret = String(text[text.index(after: colon)...]).removingPercentEncoding
        }
        guard id == EmulatorModel.clientID, secret == nil || secret == EmulatorModel.clientSecret else {
            return .failure(.oauth(401, "invalid_client", "Client authentication failed."))
        }
        return .success((EmulatorModel.clientID, secret))
    }

    func tokenReply(_ pair: (access: String, refresh: String), scopes: [String]) -> EmulatorReply {
        .json(200, .object([
            "token_type": .string("Bearer"), "expires_in": .int(Int(tokenLifetime.milliseconds / 1000)),
            "created_at": .int(Int(now.secondsSince1970)), "refresh_token": .string(pair.refresh), "access_token": .string(pair.access),
            "scope": .string(scopes.joined(separator: " ")), "owner": .string(account.uri), "organization": .string(account.organization),
        ]), headers: [("Cache-Control", "no-store")])
    }

    static func escape(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
