import Core
import Crypto
import Effects
import Foundation
import Interpreters

/// Everything `serve` needs, read from the environment (twelve-factor) and flags, validated at start
/// with one clear line per bad value. Secrets are never printed; only whether they are set.
public struct HostConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./.calendly-action"
    public var publicBaseURL: String
    public var calendlyAPIBase = "https://api.calendly.com"
    public var calendlyAuthBase = "https://auth.calendly.com"
    public var clientID: String?
    public var clientSecret: String?
    public var webhookSigningKey: [UInt8]
    public var jwtSecret: [UInt8]
    public var tokenEncryptionKey: [UInt8]
    /// The key of the journal's email hashes (`JOURNAL_REDACTION_KEY`; generated in demo mode). Empty only
    /// in tests that build a configuration by hand: the redaction then uses its public fallback key.
    public var journalRedactionKey: [UInt8] = []
    /// What a platform token must carry (`PLATFORM_JWT_ISSUER`, `PLATFORM_JWT_AUDIENCE`, `PLATFORM_JWT_MAX_LIFETIME_HOURS`).
    public var tokenPolicy = PlatformToken.Policy()
    public var logLevel = "info"
    /// The Calendly plan whose `POST /invitees` caps apply (`CALENDLY_PLAN_TIER`: trial, standard, enterprise).
    public var planTier: BookingQuota.Tier = .standard
    /// Where customer messages produced outside a request are POSTed (`MESSAGE_CALLBACK_URL`); nil: they are
    /// only read with `GET …/booking/messages?after=SEQ`. May carry credentials, so it is never printed.
    public var messageCallbackURL: String?
    /// The HMAC key of the callback's `X-CalendlyAction-Signature` (`MESSAGE_CALLBACK_SECRET`, required with the URL).
    public var messageCallbackSecret: [UInt8] = []
    /// No Calendly credentials: run the built-in emulator in-process.
    public var demoMode: Bool { clientID == nil }

    public struct Invalid: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
    }

    /// Names every environment variable `serve` reads (documented in the README).
    public static let variables = [
        "CALENDLY_CLIENT_ID", "CALENDLY_CLIENT_SECRET", "CALENDLY_WEBHOOK_SIGNING_KEY", "CALENDLY_API_BASE", "CALENDLY_AUTH_BASE",
        "PUBLIC_BASE_URL", "PLATFORM_JWT_SECRET", "TOKEN_ENCRYPTION_KEY", "JOURNAL_REDACTION_KEY", "LOG_LEVEL", "CALENDLY_PLAN_TIER",
        "PLATFORM_JWT_ISSUER", "PLATFORM_JWT_AUDIENCE", "PLATFORM_JWT_MAX_LIFETIME_HOURS", "MESSAGE_CALLBACK_URL", "MESSAGE_CALLBACK_SECRET",
    ]

    /// Secrets that must come from the environment in Calendly mode (issue 10: production never falls back
    /// to keys generated next to the database). Named in the error, never echoed.
    public static let requiredSecrets = ["PLATFORM_JWT_SECRET", TokenVault.keyVariable, "CALENDLY_WEBHOOK_SIGNING_KEY", "JOURNAL_REDACTION_KEY"]

    public static func load(environment: [String: String], host: String, port: Int, dataDirectory: String) throws -> HostConfiguration {
        var problems: [String] = []
        guard (1...65535).contains(port) else { throw Invalid(problems: ["--port must be 1…65535 (got \(port))"]) }
        func present(_ name: String) -> Bool { !(environment[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        // Calendly mode is decided by the credentials; only demo mode may generate (and so write) keys.
        let calendlyMode = present("CALENDLY_CLIENT_ID") || present("CALENDLY_CLIENT_SECRET")
        if calendlyMode {
            for name in requiredSecrets where !present(name) {
                problems.append("\(name) is required with real Calendly credentials (development keys are used only in demo mode)")
            }
        }
        let keys = calendlyMode ? nil : try DevelopmentKeys.loadOrCreate(in: dataDirectory)
        func secret(_ name: String, fallback: [UInt8]?) -> [UInt8] {
            guard let value = environment[name], !value.isEmpty else { return fallback ?? [] }
            if value.utf8.count < 16 { problems.append("\(name) must be at least 16 bytes"); return fallback ?? [] }
            return Array(value.utf8)
        }
        var config = HostConfiguration(
            host: host, port: port, dataDirectory: dataDirectory,
            publicBaseURL: environment["PUBLIC_BASE_URL"] ?? "http://\(host):\(port)",
            webhookSigningKey: secret("CALENDLY_WEBHOOK_SIGNING_KEY", fallback: keys?.webhookSigningKey),
            jwtSecret: secret("PLATFORM_JWT_SECRET", fallback: keys?.jwtSecret),
            tokenEncryptionKey: keys?.tokenEncryptionKey ?? []
        )
        config.journalRedactionKey = secret("JOURNAL_REDACTION_KEY", fallback: keys?.journalRedactionKey)
        config.tokenPolicy = PlatformToken.Policy.load(environment, problems: &problems)
        if let tier = environment["CALENDLY_PLAN_TIER"], !tier.isEmpty {
            if let parsed = BookingQuota.Tier(rawValue: tier.lowercased()) { config.planTier = parsed } else {
                problems.append("CALENDLY_PLAN_TIER must be one of \(BookingQuota.Tier.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let encoded = environment["TOKEN_ENCRYPTION_KEY"], !encoded.isEmpty {
            if let data = Data(base64Encoded: encoded), data.count == 32 { config.tokenEncryptionKey = Array(data) } else {
                problems.append("TOKEN_ENCRYPTION_KEY must be base64 of exactly 32 bytes")
            }
        }
        for (name, keyPath) in [("CALENDLY_API_BASE", \HostConfiguration.calendlyAPIBase), ("CALENDLY_AUTH_BASE", \HostConfiguration.calendlyAuthBase),
                                ("PUBLIC_BASE_URL", \HostConfiguration.publicBaseURL)] {
            guard let value = environment[name], !value.isEmpty else { continue }
            if let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil {
                config[keyPath: keyPath] = value.hasSuffix("/") ? String(value.dropLast()) : value
            } else {
                problems.append("\(name) must be an http(s) URL")
            }
        }
        let id = environment["CALENDLY_CLIENT_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let clientSecret = environment["CALENDLY_CLIENT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        switch (id, clientSecret) {
        case (nil, nil): break
        case (.some, nil): problems.append("CALENDLY_CLIENT_SECRET is required when CALENDLY_CLIENT_ID is set")
        case (nil, .some): problems.append("CALENDLY_CLIENT_ID is required when CALENDLY_CLIENT_SECRET is set")
        case (.some(let id), .some(let secret)):
            config.clientID = id
            config.clientSecret = secret
        }
        loadMessageCallback(environment, into: &config, problems: &problems)
        if let level = environment["LOG_LEVEL"] {
            if ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) { config.logLevel = level } else {
                problems.append("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        // Demo mode created it with its keys; Calendly mode needs it for the database alone.
        if calendlyMode {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return config
    }

    /// The callback is signed, always: a platform must be able to tell our POSTs from anyone else's, so a URL
    /// without a secret refuses to start (in either mode) rather than sending unsigned customer messages.
    static func loadMessageCallback(_ environment: [String: String], into config: inout HostConfiguration, problems: inout [String]) {
        let url = (environment["MESSAGE_CALLBACK_URL"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = environment["MESSAGE_CALLBACK_SECRET"] ?? ""
        guard !url.isEmpty else { return }
        // The value is never echoed: a callback URL often carries the platform's token.
        if let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme), parsed.host != nil {
            config.messageCallbackURL = url
        } else {
            problems.append("MESSAGE_CALLBACK_URL must be an http(s) URL")
        }
        if secret.isEmpty {
            problems.append("MESSAGE_CALLBACK_SECRET is required when MESSAGE_CALLBACK_URL is set (it signs every callback)")
        } else if secret.utf8.count < 16 {
            problems.append("MESSAGE_CALLBACK_SECRET must be at least 16 bytes")
        } else {
            config.messageCallbackSecret = Array(secret.utf8)
        }
    }

    public var redirectURI: String { publicBaseURL + "/v1/oauth/calendly/callback" }
    /// Where Calendly delivers webhooks; the connection subscribes it on connect and checks it periodically.
    public var webhookURL: String { publicBaseURL + "/v1/webhooks/calendly" }
    public var databasePath: String { dataDirectory + "/calendly-action.sqlite" }
}

/// Development keys generated once per data directory (file mode 0600), so `serve` and `token`
/// agree without any configuration. Never printed.
public struct DevelopmentKeys: Codable, Sendable {
    public var jwtSecret: [UInt8]
    public var tokenEncryptionKey: [UInt8]
    public var webhookSigningKey: [UInt8]
    /// Added with issue 10: a key file written before it lacks the field and gains it on the next start.
    public var journalRedactionKey: [UInt8]?

    public static func loadOrCreate(in directory: String) throws -> DevelopmentKeys {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory + "/dev-keys.json"
        func fresh() -> [UInt8] { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) } }
        if let data = manager.contents(atPath: path) {
            var keys = try JSONDecoder().decode(DevelopmentKeys.self, from: data)
            guard keys.journalRedactionKey == nil else { return keys }
            keys.journalRedactionKey = fresh()
            try write(keys, to: path, directory: directory)
            return keys
        }
        let keys = DevelopmentKeys(jwtSecret: fresh(), tokenEncryptionKey: fresh(), webhookSigningKey: fresh(), journalRedactionKey: fresh())
        try write(keys, to: path, directory: directory)
        return keys
    }

    /// Replaces the file whole, mode 0600 from the start (never briefly readable by others).
    static func write(_ keys: DevelopmentKeys, to path: String, directory: String) throws {
        let manager = FileManager.default
        let temporary = path + ".new"
        try? manager.removeItem(atPath: temporary)
        guard manager.createFile(atPath: temporary, contents: try JSONEncoder().encode(keys), attributes: [.posixPermissions: 0o600]),
              rename(temporary, path) == 0 else {
            throw HostConfiguration.Invalid(problems: ["cannot write development keys under \(directory)"])
        }
    }
}
