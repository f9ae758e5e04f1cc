/// A reply as it came off the wire: status, headers (names lower-cased; repeated ones joined by ", ")
/// and the body bytes (already decoded when the server compressed them).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status; self.headers = headers; self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why no reply came. The distinction matters to calls that change something: only `notSent` proves
/// the server never saw the request.
public enum HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request certainly did not reach the server: bad URL or header, no DNS, no connection, TLS
    /// refused (an untrusted certificate), cancelled before it started, client shut down.
    case notSent
    /// It may have reached the server; no complete reply came (reset, cancelled mid-flight).
    case lost
    /// The deadline passed first (the request may have reached the server).
    case timedOut
    /// The reply was larger than the limit; the download was cut off as soon as that was known.
    case oversized

    public var description: String {
        switch self {
        case .notSent: "not sent"
        case .lost: "connection lost"
        case .timedOut: "timed out"
        case .oversized: "reply too large"
        }
    }
}
