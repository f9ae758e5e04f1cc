import Core
import Crypto
import Effects
import Foundation

/// PKCE (RFC 7636, S256) for Calendly's authorization-code flow.
public enum CalendlyPKCE {
    /// A fresh code verifier: 32 random bytes as base64url without padding (43 characters, within
    /// RFC 7636's 43…128 and its unreserved alphabet).
    public static func makeVerifier() -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// `BASE64URL(SHA256(ASCII(verifier)))`, no padding.
    public static func challenge(for verifier: String) -> String {
        base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Percent-encoding for query strings and `application/x-www-form-urlencoded` bodies: everything but
/// RFC 3986 unreserved characters is escaped (so `+` in an email survives, unlike `URLComponents`).
enum FormEncoding {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }
}

extension LiveCalendly {
    /// Calendly's authorize URL (response_type=code, PKCE S256). Send the admin's browser there.
    public static func authorizeURL(authBase: String, clientID: String, redirectURI: String, state: String,
                                    codeChallenge: String, scopes: [String]) -> URL {
        var pairs = [("client_id", clientID), ("response_type", "code"), ("redirect_uri", redirectURI), ("state", state),
                     ("code_challenge", codeChallenge), ("code_challenge_method", "S256")]
        if !scopes.isEmpty { pairs.append(("scope", scopes.joined(separator: " "))) }
        let base = authBase.hasSuffix("/") ? String(authBase.dropLast()) : authBase
        // Only a malformed authBase (validated at start-up) could fail here.
        return URL(string: base + "/oauth/authorize?" + FormEncoding.encode(pairs)) ?? URL(string: "about:blank")!
    }
}

/// The OAuth half of `LiveCalendly`: code exchange (PKCE), the refresh grant with rotation (saved
/// before it is reported), revoke, and the token endpoint itself.
extension LiveCalendly {
    func exchangeCode(_ code: String, state: String, agent: AgentID, _ deadline: Deadline) async throws(CallError) -> CalendlyReply {
        // The core hands in the OAuth state; the verifier minted for it never leaves the interpreters.
        guard let verifier = await verifiers.verifier(forState: state) else { throw .failed(.invalidGrant) }
        let response = try await tokenEndpoint("/oauth/token", [("grant_type", "authorization_code"), ("code", code),
                                                                 ("redirect_uri", configuration.redirectURI), ("code_verifier", verifier)], deadline)
        let wire = try decode(CalendlyWire.Token.self, response)
        let tokens = makeTokens(wire, previous: nil)
        let reference = TokenReference("tok_" + UUID().uuidString.lowercased())
        do {
            try await self.tokens.save(tokens, as: reference, agent: agent)
        } catch {
            // Calendly granted tokens we could not keep: nobody can tell what the connection holds now.
            logger.error("could not persist granted Calendly tokens", metadata: ["error": "\(type(of: error))"])
            throw .unknown
        }
        return .tokenGranted(TokenGrant(token: reference, owner: tokens.owner, organization: tokens.organization,
                                        scopes: tokens.scopes, expiresAt: tokens.expiresAt, refreshable: TokenRotation.usable(tokens.refreshToken) != nil))
    }

    func makeTokens(_ wire: CalendlyWire.Token, previous: CalendlyTokens?) -> CalendlyTokens {
        CalendlyTokens(
            // The vault's format has no "none": an empty string stands for it (`refreshable` says so).
            accessToken: wire.accessToken, refreshToken: TokenRotation.refreshToken(replied: wire.refreshToken, previous: previous?.refreshToken) ?? "",
            expiresAt: configuration.now() + TokenRotation.lifetime(expiresIn: wire.expiresIn),
            owner: wire.owner.map(CalendlyURI.init(rawValue:)) ?? previous?.owner ?? CalendlyURI(""),
            organization: wire.organization.map(CalendlyURI.init(rawValue:)) ?? previous?.organization ?? CalendlyURI(""),
            scopes: TokenRotation.scopes(replied: wire.scope, previous: previous?.scopes)
        )
    }

    /// The refresh grant for the tokens held under `reference`. Calendly's refresh tokens are single-use,
    /// so the rotated pair is saved under the same reference before the grant is reported. Nothing held
    /// (deleted, or never kept), or tokens held without a refresh token, is a refused refresh: there is
    /// no refresh token to offer.
    func refresh(_ reference: TokenReference, _ deadline: Deadline) async throws(CallError) -> CalendlyReply {
        // Under the keeper's refresh lock, the tokens are read after it is granted: another host may have just rotated them.
        let outcome: Result<CalendlyReply, CallError>
        do {
            outcome = try await tokens.withRefreshLock(reference) { () async -> Result<CalendlyReply, CallError> in
                do throws(CallError) { return .success(try await refreshHoldingLock(reference, deadline)) } catch { return .failure(error) }
            }
        } catch { throw .failed(.unreachable) }
        return try outcome.get()
    }

    func refreshHoldingLock(_ reference: TokenReference, _ deadline: Deadline) async throws(CallError) -> CalendlyReply {
        let loaded: CalendlyTokens?
        do { loaded = try await tokens.load(reference) } catch { throw .failed(.unreachable) }
        // Nothing held, or held without a refresh token: there is nothing to offer, which is a refused refresh.
        guard let current = loaded, TokenRotation.usable(current.refreshToken) != nil else { throw .failed(.invalidGrant) }
        let rotated = try await rotate(reference, current, deadline)
        return .tokenGranted(TokenGrant(token: reference, owner: rotated.owner, organization: rotated.organization,
                                        scopes: rotated.scopes, expiresAt: rotated.expiresAt, refreshable: TokenRotation.usable(rotated.refreshToken) != nil))
    }

    func rotate(_ reference: TokenReference, _ current: CalendlyTokens, _ deadline: Deadline) async throws(CallError) -> CalendlyTokens {
        let response = try await tokenEndpoint("/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", current.refreshToken)],
                                               Deadline(at: deadline.at, write: true))
        let rotated = makeTokens(try decode(CalendlyWire.Token.self, response), previous: current)
        do {
            try await tokens.save(rotated, as: reference)
        } catch {
            // The old refresh token is spent and the new one is not kept: nobody can tell what works now.
            logger.error("could not persist rotated Calendly tokens", metadata: ["error": "\(type(of: error))"])
            throw .unknown
        }
        return rotated
    }

    func revoke(_ reference: TokenReference, _ deadline: Deadline) async throws(CallError) -> CalendlyReply {
        let held: CalendlyTokens?
        do { held = try await tokens.load(reference) } catch { held = nil }
        guard let held else { return .revoked } // Nothing held under this reference any more.
        // Revoking the refresh token ends the whole grant (RFC 7009 §2.1). Calendly's revoke endpoint
        // takes the client credentials in the body.
        var form = [("token", held.refreshToken), ("client_id", configuration.clientID)]
        if let secret = configuration.clientSecret { form.append(("client_secret", secret)) }
        var outcome: CallError?
        do {
            _ = try await tokenEndpoint("/oauth/revoke", form, deadline, basicAuth: false, expectJSON: false)
        } catch {
            // An already dead token is as revoked as it gets.
            if case .failed(.invalidGrant) = error { outcome = nil } else { outcome = error }
        }
        // The tokens stay in the vault: the core deletes them when it sees this reply (whatever it says).
        if let outcome { throw outcome }
        return .revoked
    }

    /// `POST` to the OAuth host, form-encoded; a confidential client authenticates with HTTP Basic.
    func tokenEndpoint(_ path: String, _ form: [(String, String)], _ deadline: Deadline, basicAuth: Bool = true,
                       expectJSON: Bool = true) async throws(CallError) -> WireResponse {
        var pairs = form
        var request = HTTPRequest("POST", try url(configuration.authBase, path, []), headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("User-Agent", configuration.userAgent),
        ])
        if basicAuth {
            if let secret = configuration.clientSecret {
                let credentials = FormEncoding.escape(configuration.clientID) + ":" + FormEncoding.escape(secret)
                request.headers.append(("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
            } else {
                pairs.append(("client_id", configuration.clientID))
            }
        }
        request.body = Array(FormEncoding.encode(pairs).utf8)
        var waited = false
        while true {
            let response = try await send(request, deadline)
            switch response.status {
            case 200..<300:
                guard !expectJSON || response.isJSON else { throw .failed(.malformedResponse) }
                return response
            case 429 where !waited:
                waited = true
                try await waitOut(response, deadline)
            default:
                throw .failed(classify(response))
            }
        }
    }
}
