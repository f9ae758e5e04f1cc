import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import Interpreters

/// The console: the PRD's screens (details form, analytics, a web-chat pane) as static files shipped in
/// `Resources/console`, driving the same API as everyone else. The page holds no secret of its own; in
/// demo mode it may ask for short-lived development tokens so nobody has to paste one.
enum ConsoleRoutes {
    /// The files the page is made of. A fixed list, so a path parameter can never name anything else.
    static let files: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "console.css": "text/css; charset=utf-8",
        "console.js": "text/javascript; charset=utf-8",
    ]

    /// The demo session's account: the one `serve` prints tokens for by default, so the README's curl
    /// walk and the console look at the same agents.
    static let demoAccount = AccountID("acme")
    /// Short on purpose: a demo token in a forgotten tab should not outlive the afternoon.
    static let demoLifetime = Span.hours(1)

    /// Same-origin only: no inline script, no third-party anything, never framed.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-cache",
    ]

    static func add<Store>(to router: Router<BasicRequestContext>, _ services: HostServices<Store>) {
        // Read once: the files are small and part of the build; no disk I/O per request.
        let loaded = files.reduce(into: [String: (ByteBuffer, String)]()) { result, entry in
            if let data = try? Data(contentsOf: HostResources.url("console/" + entry.key)) {
                result[entry.key] = (ByteBuffer(bytes: data), entry.value)
            }
        }

        router.get("console") { _, _ in page("index.html", loaded) }
        router.get("console/:file") { _, context in page(context.parameters.get("file") ?? "", loaded) }

        // Demo mode only: development tokens for the page (admin, supervisor, runtime), signed with the
        // same key as the printed ones. In Calendly mode the route answers 404 as if it did not exist.
        router.post("console/demo-session") { _, _ in
            guard services.configuration.demoMode else { return APIResponse.notFound }
            let now = services.now()
            var tokens: [String: String] = [:]
            for role in [Role.admin, .supervisor, .runtime] {
                let principal = Principal(subject: "console-\(role.rawValue)", account: demoAccount, role: role, features: [Access.feature],
                                          addons: [Access.addon], flags: [Access.flag])
                tokens[role.rawValue] = services.tokens.sign(principal, issuedAt: now, lifetime: demoLifetime)
            }
            return APIResponse.json(DemoSession(account: demoAccount.rawValue, expiresAt: (now + demoLifetime).iso8601, tokens: tokens))
        }
    }

    static func page(_ name: String, _ loaded: [String: (ByteBuffer, String)]) -> Response {
        guard let (body, type) = loaded[name] else { return APIResponse.notFound }
        var headers = securityHeaders
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

struct DemoSession: Encodable, Sendable {
    var account: String
    var expiresAt: String
    var tokens: [String: String]
}
