import Foundation

/// `DATABASE_URL=postgres://user:pass@host:port/db[?sslmode=disable|require]` (issue 13), parsed by hand
/// so the accepted shapes are exactly the tested ones. The password never appears in `description` or in
/// a parse error: both are safe to log.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, Equatable {
        /// Plain TCP (loopback, a private network, a sidecar proxy).
        case disable
        /// TLS required; the server certificate is verified against the system trust roots.
        case require
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode

    public init(user: String, password: String?, host: String, port: Int = 5432, database: String, sslMode: SSLMode = .disable) {
        self.user = user; self.password = password; self.host = host; self.port = port; self.database = database; self.sslMode = sslMode
    }

    /// What may be logged: everything but the password.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// A refused URL. Names what is wrong, never the URL's text (it may hold a password).
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case scheme, missingUser, missingHost, port, missingDatabase, badEscape, unknownOption(String), sslMode

        public var description: String {
            switch self {
            case .scheme: return "DATABASE_URL must start with postgres:// or postgresql://"
            case .missingUser: return "DATABASE_URL names no user (postgres://USER[:PASSWORD]@HOST[:PORT]/DB)"
            case .missingHost: return "DATABASE_URL names no host"
            case .port: return "DATABASE_URL's port must be a number from 1 to 65535"
            case .missingDatabase: return "DATABASE_URL names no database"
            case .badEscape: return "DATABASE_URL has an invalid %-escape"
            case .unknownOption(let name): return "DATABASE_URL option \(name.prefix(40)) is not supported (only sslmode)"
            case .sslMode: return "DATABASE_URL sslmode must be disable or require"
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        var rest = Substring(text)
        if rest.hasPrefix("postgres://") { rest = rest.dropFirst("postgres://".count) }
        else if rest.hasPrefix("postgresql://") { rest = rest.dropFirst("postgresql://".count) }
        else { throw .scheme }

        // The query first: a '?' can only be the start of options (a '?' in a password must be %3F).
        var options: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            options = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        // The userinfo ends at the LAST '@' before the path: an unescaped '@' in a password stays in it.
        guard let slash = rest.lastIndex(of: "/") else { throw .missingDatabase }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]
        guard let at = authority.lastIndex(of: "@") else { throw .missingUser }
        let userinfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]

        let rawUser: Substring, rawPassword: Substring?
        if let colon = userinfo.firstIndex(of: ":") {
            rawUser = userinfo[..<colon]
            rawPassword = userinfo[userinfo.index(after: colon)...]
        } else {
            rawUser = userinfo
            rawPassword = nil
        }
        user = try Self.unescape(rawUser)
        guard !user.isEmpty else { throw .missingUser }
        if let rawPassword { password = try Self.unescape(rawPassword) } else { password = nil }

        // [v6]:port, host:port, or host alone.
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .missingHost }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.isEmpty { port = 5432 } else {
                guard after.hasPrefix(":") else { throw .port }
                port = try Self.port(after.dropFirst())
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = try Self.port(hostPort[hostPort.index(after: colon)...])
        } else {
            host = String(hostPort)
            port = 5432
        }
        guard !host.isEmpty else { throw .missingHost }

        database = try Self.unescape(path)
        guard !database.isEmpty, !database.contains("/") else { throw .missingDatabase }

        sslMode = .disable
        for pair in options.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.unescape(parts[0])
            let value = parts.count > 1 ? try Self.unescape(parts[1]) : ""
            guard name == "sslmode" else { throw .unknownOption(name) }
            guard let mode = SSLMode(rawValue: value) else { throw .sslMode }
            sslMode = mode
        }
    }

    /// Digits only (no sign, no spaces), parsed without arithmetic that could trap.
    static func port(_ text: Substring) throws(ParseError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text),
              (1...65535).contains(value) else { throw .port }
        return value
    }

    /// Percent-decoding; an escape that is not two hex digits or does not make UTF-8 is refused.
    static func unescape(_ text: Substring) throws(ParseError) -> String {
        guard text.contains("%") else { return String(text) }
        guard let decoded = text.removingPercentEncoding else { throw .badEscape }
        return decoded
    }
}
