import Effects
import Foundation

/// The one place that knows how Calendly words its errors (calendly-api.md "Errors and limits").
///
/// Calendly's REST errors are `{title, message, details?: [{parameter, message}]}` (403 "Insufficient
/// scope" adds `required_scopes`); its OAuth endpoints answer RFC 6749 style `{error,
/// error_description}`. A slot that was taken in the meantime is not documented precisely — expect a
/// 400 (or 409) whose words say so. When the real API's wording turns out different, change it here.
public enum CalendlyErrorClassifier {
    /// Classifies a non-2xx reply. A 2xx passed here means the caller could not make sense of the
    /// body, so it is `.malformedResponse`; so is a redirect (the API never sends one to us).
    public static func classify(status: Int, body: [UInt8], retryAfterSeconds: Int?) -> CalendlyFailure {
        let parsed = ErrorBody.parse(body)
        if parsed?.oauthError == "invalid_grant" { return .invalidGrant }
        if parsed?.oauthError == "access_denied" { return .accessDenied }
        // An Int has no exhaustive switch; the ranges are checked in order instead.
        if (200..<400).contains(status) { return .malformedResponse }
        if status == 401 { return .unauthorized }
        if status == 403 { return .forbidden(requiredScopes: parsed?.requiredScopes ?? []) }
        if status == 404 || status == 410 { return .notFound }
        if status == 429 { return .rateLimited(retryAfter: retryAfterSeconds.map { Span.seconds(Int64(max(0, $0))) }) }
        if (500..<600).contains(status) { return .serverError(status: status) }
        if [400, 409, 422].contains(status), let parsed, parsed.saysSlotIsGone { return .slotUnavailable }
        // Any other conflict: the thing exists already (e.g. a webhook subscription for that URL).
        if status == 409 { return .alreadyExists }
        return .rejected(message: parsed?.summary ?? "HTTP \(status)")
    }

    /// Reads `Retry-After` (delta seconds; an HTTP date is ignored) or else `X-RateLimit-Reset`
    /// (seconds until the window resets, per Calendly's rate-limit page).
    public static func retryAfterSeconds(retryAfter: String?, rateLimitReset: String?) -> Int? {
        func seconds(_ text: String?) -> Int? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty, let value = Int(text), value >= 0 else { return nil }
            return value
        }
        return seconds(retryAfter) ?? seconds(rateLimitReset)
    }

    /// Words that mean "that start time cannot be booked any more".
    static let goneWords = ["no longer available", "not available", "unavailable", "already booked", "already been booked",
                            "already taken", "been taken", "already scheduled", "already reserved", "fully booked", "double book", "no spots"]
    /// Words that tie the sentence to the time slot rather than, say, the event type or the plan.
    static let slotWords = ["time", "slot", "start", "spot", "booked", "booking"]

    struct ErrorBody {
        var title: String?
        var message: String?
        var details: [(parameter: String?, message: String?)]
        var requiredScopes: [String]?
        var oauthError: String?
        var oauthDescription: String?

        static func parse(_ body: [UInt8]) -> ErrorBody? {
            guard !body.isEmpty, let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
            var details: [(String?, String?)] = []
            if let list = object["details"] as? [[String: Any]] {
                for item in list { details.append((item["parameter"] as? String, item["message"] as? String)) }
            }
            return ErrorBody(
                title: object["title"] as? String, message: object["message"] as? String, details: details,
                requiredScopes: (object["required_scopes"] as? [Any])?.compactMap { $0 as? String },
                oauthError: object["error"] as? String, oauthDescription: object["error_description"] as? String
            )
        }

        var saysSlotIsGone: Bool {
            let sentences = [title, message, oauthDescription].compactMap { $0 } + details.compactMap(\.message)
            let text = sentences.joined(separator: " · ").lowercased()
            guard ErrorBody.contains(text, any: CalendlyErrorClassifier.goneWords) else { return false }
            if ErrorBody.contains(text, any: ["already booked", "already been booked", "double book", "fully booked"]) { return true }
            let aboutStart = details.contains { ($0.parameter ?? "").lowercased().contains("start_time") }
            return aboutStart || ErrorBody.contains(text, any: CalendlyErrorClassifier.slotWords)
        }

        static func contains(_ text: String, any words: [String]) -> Bool { words.contains { text.contains($0) } }

        /// A short human reason: the message, then the details (`parameter: message`), capped.
        var summary: String? {
            var parts: [String] = []
            if let message, !message.isEmpty { parts.append(message) } else if let title, !title.isEmpty { parts.append(title) }
            for detail in details {
                let line = [detail.parameter, detail.message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
                if !line.isEmpty { parts.append(line) }
            }
            if parts.isEmpty, let oauthError { parts.append([oauthError, oauthDescription].compactMap { $0 }.joined(separator: ": ")) }
            guard !parts.isEmpty else { return nil }
            let text = parts.joined(separator: " — ")
            return text.count > 300 ? String(text.prefix(300)) + "…" : text
        }
    }
}
