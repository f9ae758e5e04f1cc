/// One outgoing HTTP request, as the curl client sends it: no redirects are followed, the reply is
/// cut off past `maxBodyBytes`, and the whole exchange (connect included) must finish within `timeout`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in this order; a name given twice is sent twice.
    public var headers: [(name: String, value: String)]
    /// nil sends no body (a POST/PUT without one sends `Content-Length: 0`).
    public var body: [UInt8]?
    public var timeout: Duration
    public var maxBodyBytes: Int

    public init(_ method: String, _ url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
                timeout: Duration = .seconds(30), maxBodyBytes: Int = 2 * 1024 * 1024) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
        self.timeout = timeout; self.maxBodyBytes = maxBodyBytes
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    /// Whether libcurl may be handed this request as is. Strings cross into C as NUL-terminated text,
    /// so an embedded NUL would silently shorten a URL or header; CR/LF in a header would let a value
    /// smuggle in headers of its own. Such a request is refused rather than "repaired".
    var isWellFormed: Bool {
        func token(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
        }
        guard maxBodyBytes >= 0, token(method), !url.isEmpty, url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return false }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return false }
        return headers.allSatisfy { header in
            token(header.name) && header.value.utf8.allSatisfy { $0 != 0 && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        }
    }

    /// The timeout in whole milliseconds for `CURLOPT_TIMEOUT_MS`, at least 1 (0 would mean "none")
    /// and clamped instead of overflowing for absurdly long durations.
    var timeoutMilliseconds: Int {
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0 else { return 1 }
        let cap = Int64(Int32.max) // ~24 days: far beyond any call, far from overflow.
        guard seconds < cap / 1000 else { return Int(cap) }
        return Int(max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
