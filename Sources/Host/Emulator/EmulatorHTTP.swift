import Effects
import Foundation
import Interpreters

/// A JSON value with explicit nulls and a fixed key order, so the emulator's bodies look like
/// Calendly's (which sends `null`s rather than leaving keys out) and are byte-stable.
indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case fields([Field])

    struct Field: Sendable, Equatable {
        var key: String
        var value: JSONValue
    }

    static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue { .fields(pairs.map { Field(key: $0.key, value: $0.value) }) }
    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func time(_ value: Instant?) -> JSONValue { value.map { .string(EmulatorTime.calendly($0)) } ?? .null }

    /// The body bytes, rendered in one pass into one buffer (`EmulatorJSONWriter`).
    var bytes: [UInt8] { EmulatorJSONWriter.render(self) }

    var rendered: String { String(decoding: bytes, as: UTF8.self) }
}

/// Calendly prints times with microseconds: `2026-11-25T09:30:00.000000Z`.
enum EmulatorTime {
    static func calendly(_ instant: Instant) -> String {
        let base = Instant(millisecondsSince1970: instant.millisecondsSince1970 - instant.millisecondsSince1970.floorMod(1000)).iso8601
        return String(base.dropLast()) + "." + Int(instant.millisecondsSince1970.floorMod(1000)).padded(3) + "000Z"
    }

    static func wallClock() -> Instant {
        Instant(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// A request as the emulator's model sees it (decoded from Hummingbird by the router).
struct EmulatorRequest: Sendable {
    var method: String
    var path: String
    /// Query parameters (percent-decoded). For GETs, a JSON object body fills in missing ones — some
    /// real clients (PyCalendly) send GET parameters that way.
    var query: [String: String]
    /// Lower-cased header names.
    var headers: [String: String]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A form-encoded or JSON body as flat string fields (the token endpoints accept both).
    var formFields: [String: String] {
        let type = header("content-type")?.lowercased() ?? ""
        if type.contains("json") || body.first == UInt8(ascii: "{") {
            guard let object = jsonObject else { return [:] }
            var fields: [String: String] = [:]
            for (key, value) in object {
                if let text = value as? String { fields[key] = text } else if let number = value as? NSNumber { fields[key] = number.stringValue }
            }
            return fields
        }
        return FormDecoding.decode(String(decoding: body, as: UTF8.self))
    }

    var jsonObject: [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// Numbers from outside (admin hooks, request bodies) read as integers clamped into a range, so no
/// later arithmetic or conversion on them can trap: nil when absent, not a number, or not finite.
enum JSONNumber {
    static func clamped(_ value: Any?, to range: ClosedRange<Int64>) -> Int64? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite else { return nil }
        if double <= Double(range.lowerBound) { return range.lowerBound }
        if double >= Double(range.upperBound) { return range.upperBound }
        return Int64(double)
    }
}

enum FormDecoding {
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = unescape(parts[0]) else { continue }
            let value = parts.count > 1 ? unescape(parts[1]) ?? "" : ""
            if fields[key] == nil { fields[key] = value }
        }
        return fields
    }

    static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// What the model answers; the router turns it into a Hummingbird `Response`.
/// (An `Error` too, so validation helpers can return `Result<_, EmulatorReply>`.)
struct EmulatorReply: Error, Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> EmulatorReply {
        EmulatorReply(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: value.bytes)
    }

    static func resource(_ value: JSONValue, status: Int = 200) -> EmulatorReply { .json(status, .object(["resource": value])) }

    static func redirect(_ location: String) -> EmulatorReply { EmulatorReply(status: 302, headers: [("Location", location)], body: []) }

    static let noContent = EmulatorReply(status: 204, headers: [], body: [])

    // MARK: Calendly's error bodies (calendly-api-research-notes.md §7.1)

    static func error(_ status: Int, _ title: String, _ message: String, details: [(String, String)] = [],
                      extra: [JSONValue.Field] = [], headers: [(String, String)] = []) -> EmulatorReply {
        var fields = [JSONValue.Field(key: "title", value: .string(title)), JSONValue.Field(key: "message", value: .string(message))]
        if !details.isEmpty {
            fields.append(JSONValue.Field(key: "details", value: .array(details.map { .object(["parameter": .string($0.0), "message": .string($0.1)]) })))
        }
        return .json(status, .fields(fields + extra), headers: headers)
    }

    static func invalid(_ details: [(String, String)]) -> EmulatorReply {
        .error(400, "Invalid Argument", "The supplied parameters are invalid.", details: details)
    }

    static func invalid(_ parameter: String, _ message: String) -> EmulatorReply { invalid([(parameter, message)]) }

    static let unauthenticated = EmulatorReply.error(401, "Unauthenticated", "The access token is invalid")
    static let expired = EmulatorReply.error(401, "Unauthenticated", "The access token is expired")
    static let notFound = EmulatorReply.error(404, "Resource Not Found", "The server could not find the requested resource.")
    static let permissionDenied = EmulatorReply.error(403, "Permission Denied", "You do not have permission to access this resource.")

    static func insufficientScope(_ scopes: [String]) -> EmulatorReply {
        .error(403, "Insufficient scope", "This operation requires the scopes listed in the 'required_scopes' array.",
               extra: [JSONValue.Field(key: "required_scopes", value: .array(scopes.map(JSONValue.string)))])
    }

    /// The emulator's rendering of "the slot was taken meanwhile" (not documented by Calendly; see
    /// `CalendlyErrorClassifier`, which must recognise it).
    static let slotTaken = EmulatorReply.invalid("start_time", "The selected time is no longer available. Please choose another time.")

    /// RFC 6749 style, as `auth.calendly.com` answers.
    static func oauth(_ status: Int, _ error: String, _ description: String) -> EmulatorReply {
        .json(status, .object(["error": .string(error), "error_description": .string(description)]))
    }
}
