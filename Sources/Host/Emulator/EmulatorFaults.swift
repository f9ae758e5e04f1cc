import Effects
import Foundation
import Interpreters

/// A misbehaviour for the next `count` requests matching `method` + `path` (a trailing `*` matches a
/// prefix). Before the handler runs (`afterCommit == false`) it delays and/or replaces the reply; after
/// it (`afterCommit == true`) the request takes effect first — e.g. a booking is made — and then the
/// reply is delayed past the client's budget, replaced by a 5xx, or the connection is dropped.
public struct EmulatorFault: Sendable, Hashable {
    public var path: String
    public var method: String?
    public var count: Int
    public var status: Int?
    public var delayMs: Int
    public var afterCommit: Bool
    /// Drop the connection mid-reply instead of answering.
    public var close: Bool
    public var body: String?
    public var contentType: String?
    /// Answer with a JSON body of about this many bytes.
    public var hugeBytes: Int?
    public var retryAfter: Int?
    public var rateLimitReset: Int?

    public init(path: String, method: String? = nil, count: Int = 1, status: Int? = nil, delayMs: Int = 0, afterCommit: Bool = false,
                close: Bool = false, body: String? = nil, contentType: String? = nil, hugeBytes: Int? = nil, retryAfter: Int? = nil,
                rateLimitReset: Int? = nil) {
        self.path = path; self.method = method; self.count = count; self.status = status; self.delayMs = delayMs
        self.afterCommit = afterCommit; self.close = close; self.body = body; self.contentType = contentType; self.hugeBytes = hugeBytes
        self.retryAfter = retryAfter; self.rateLimitReset = rateLimitReset
    }

    /// From the admin hook's JSON (`POST /_emulator/faults`, snake_case keys).
    init?(json object: [String: Any]) {
        guard let path = object["path"] as? String, !path.isEmpty else { return nil }
        // Each number clamped to what makes sense (an HTTP status, ten minutes of delay, 64 MiB of body):
        // a hostile value must not trap or exhaust the emulator.
        func int(_ key: String, _ range: ClosedRange<Int64>) -> Int? { JSONNumber.clamped(object[key], to: range).map { Int($0) } }
        self.init(path: path, method: (object["method"] as? String)?.uppercased(), count: int("count", 1...1_000_000) ?? 1,
                  status: int("status", 100...599), delayMs: int("delay_ms", 0...600_000) ?? 0, afterCommit: object["after_commit"] as? Bool ?? false,
                  close: object["close"] as? Bool ?? false, body: object["body"] as? String, contentType: object["content_type"] as? String,
                  hugeBytes: int("huge_bytes", 0...(64 << 20)), retryAfter: int("retry_after", 0...86_400),
                  rateLimitReset: int("rate_limit_reset", 0...86_400))
    }

    func matches(method: String, path: String) -> Bool {
        if let expected = self.method, expected != method.uppercased() { return false }
        if self.path.hasSuffix("*") { return path.hasPrefix(String(self.path.dropLast())) }
        return path == self.path
    }

    var replacesReply: Bool { status != nil || body != nil || hugeBytes != nil }

    var reply: EmulatorReply {
        let status = status ?? 200
        var headers: [(String, String)] = [("Content-Type", contentType ?? "application/json; charset=utf-8")]
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        if let rateLimitReset {
            headers += [("X-RateLimit-Limit", "500"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(rateLimitReset))]
        }
        if let body { return EmulatorReply(status: status, headers: headers, body: Array(body.utf8)) }
        if let hugeBytes {
            let padding = String(repeating: "x", count: max(0, hugeBytes))
            return EmulatorReply(status: status, headers: headers, body: Array(#"{"resource":{"padding":""#.utf8) + Array(padding.utf8) + Array(#""}}"#.utf8))
        }
        let (title, message): (String, String)
        switch status {
        case 401: (title, message) = ("Unauthenticated", "The access token is invalid")
        case 403: (title, message) = ("Permission Denied", "You do not have permission to access this resource.")
        case 404: (title, message) = ("Resource Not Found", "The server could not find the requested resource.")
        case 429: (title, message) = ("Too Many Requests", "You have exceeded the rate limit. Please try again later.")
        case 503: (title, message) = ("Service Unavailable", "The server is temporarily unable to handle the request.")
        case 500..<600: (title, message) = ("Internal Server Error", "The server encountered an unexpected condition that prevented it from fulfilling the request.")
        default: (title, message) = ("Invalid Argument", "The supplied parameters are invalid.")
        }
        return EmulatorReply(status: status, headers: headers, body: JSONValue.object(["title": .string(title), "message": .string(message)]).bytes)
    }
}

extension EmulatorModel {
    /// The fault for this request, if any: a scripted one first, else one drawn from the profile
    /// (`--faults default|harsh`, seeded).
    func takeFault(method: String, path: String) -> EmulatorFault? {
        noteRequest()
        if let index = scriptedFaults.firstIndex(where: { $0.matches(method: method, path: path) }) {
            var fault = scriptedFaults[index]
            if fault.count <= 1 { scriptedFaults.remove(at: index) } else { scriptedFaults[index].count -= 1 }
            fault.count = 1
            return fault
        }
        return randomFault(method: method, path: path)
    }

    func randomFault(method: String, path: String) -> EmulatorFault? {
        let profile = faultProfile
        guard profile != .quiet else { return nil }
        let booking = method == "POST" && path == "/invitees"
        var fault = EmulatorFault(path: path, method: method)
        if profile.latencySpreadMs > 0 { fault.delayMs = Int(faultRandom.int64(in: 0...profile.latencySpreadMs)) }
        if faultRandom.chance(profile.timeout) {
            // Past every budget of PRD §6; a booking is made before the reply stalls.
            fault.delayMs += 6_000
            fault.afterCommit = booking
            return fault
        }
        if faultRandom.chance(profile.serverError) { fault.status = 503; return fault }
        if faultRandom.chance(profile.rateLimit) {
            fault.status = 429
            fault.retryAfter = faultRandom.int(in: 1...5)
            return fault
        }
        if booking, faultRandom.chance(profile.serverErrorAfterBooking) {
            fault.status = 503
            fault.afterCommit = true
            return fault
        }
        if booking, faultRandom.chance(profile.lostResponse) {
            fault.close = true
            fault.afterCommit = true
            return fault
        }
        return fault.delayMs > 0 ? fault : nil
    }
}
