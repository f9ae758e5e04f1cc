import Core
import Effects
import Foundation

/// How long a client may take and how much of the server it may hold (issue 10 item 3). Read from
/// the environment at start (README "Limits and timeouts"); a bad value stops `serve` with exit 2.
public struct ConnectionLimits: Sendable, Equatable {
    /// From the first byte of a request until its head (request line and headers) is complete.
    public var headTimeout: Duration = .seconds(10)
    /// From a complete head until the whole body has arrived.
    public var bodyTimeout: Duration = .seconds(30)
    /// A kept-alive connection with no request in progress.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once; beyond it new ones wait in the listen backlog until one closes.
    public var maxConnections = 1024
    /// Per account, on the admin routes: this many at once, refilled at this many a minute (0: off).
    public var adminPerMinute: Int64 = 300
    /// Per account, on the runtime routes (0: off).
    public var runtimePerMinute: Int64 = 3000

    public init() {}

    /// Each variable, what it sets, and its default (the README table is checked against it).
    public static let variables: [(name: String, meaning: String, defaultValue: String)] = [
        ("HTTP_HEAD_TIMEOUT_SECONDS", "first byte of a request until its headers are complete", "10"),
        ("HTTP_BODY_TIMEOUT_SECONDS", "complete headers until the whole body has arrived", "30"),
        ("HTTP_IDLE_TIMEOUT_SECONDS", "a kept-alive connection with no request in progress", "60"),
        ("HTTP_MAX_CONNECTIONS", "connections open at once (more wait in the listen backlog)", "1024"),
        ("RATE_LIMIT_ADMIN_PER_MINUTE", "admin requests per account per minute, also the burst; 0 turns it off", "300"),
        ("RATE_LIMIT_RUNTIME_PER_MINUTE", "runtime requests per account per minute, also the burst; 0 turns it off", "3000"),
    ]

    public static func load(environment: [String: String]) throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        var problems: [String] = []
        func integer(_ name: String, _ range: ClosedRange<Int64>) -> Int64? {
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            guard let value = Int64(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                problems.append("\(name) must be a whole number \(range.lowerBound)…\(range.upperBound)")
                return nil
            }
            return value
        }
        if let value = integer("HTTP_HEAD_TIMEOUT_SECONDS", 1...3600) { limits.headTimeout = .seconds(value) }
        if let value = integer("HTTP_BODY_TIMEOUT_SECONDS", 1...3600) { limits.bodyTimeout = .seconds(value) }
        if let value = integer("HTTP_IDLE_TIMEOUT_SECONDS", 1...86_400) { limits.idleTimeout = .seconds(value) }
        if let value = integer("HTTP_MAX_CONNECTIONS", 1...1_000_000) { limits.maxConnections = Int(value) }
        if let value = integer("RATE_LIMIT_ADMIN_PER_MINUTE", 0...1_000_000_000) { limits.adminPerMinute = value }
        if let value = integer("RATE_LIMIT_RUNTIME_PER_MINUTE", 0...1_000_000_000) { limits.runtimePerMinute = value }
        guard problems.isEmpty else { throw HostConfiguration.Invalid(problems: problems) }
        return limits
    }

    /// Tests and the bench drive the routes far harder than one account would; they opt out.
    public static let unlimited: ConnectionLimits = {
        var limits = ConnectionLimits()
        limits.adminPerMinute = 0
        limits.runtimePerMinute = 0
        return limits
    }()
}
