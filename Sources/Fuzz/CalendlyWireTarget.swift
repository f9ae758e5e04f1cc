import Core
import Effects
import Foundation
@testable import Interpreters

/// Calendly's API replies, decoded as LiveCalendly decodes them (a plain JSONDecoder over the body),
/// then turned into the core's models. Input: a byte choosing the reply shape, then the body. The
/// last shape is an error reply: two status bytes, the Retry-After header line, a newline, the body.
enum CalendlyWireTarget {
    typealias Wire = CalendlyWire
    static let start = Instant(secondsSince1970: 1_780_000_000)
    static let shapes = 12

    static func run(_ input: [UInt8]) {
        let body = Data(input.dropFirst())
        switch Int(input.first ?? 0) % shapes {
        case 0: _ = decode(Wire.Resource<Wire.User>.self, body)?.resource.model
        case 1: _ = decode(Wire.Resource<Wire.EventType>.self, body)?.resource.model
        case 2: _ = decode(Wire.Collection<Wire.EventType>.self, body)?.collection.map(\.model)
        case 3: _ = decode(Wire.Collection<Wire.AvailableTime>.self, body)?.collection.map(\.startTime)
        case 4: decode(Wire.Resource<Wire.Invitee>.self, body).map { invitee($0.resource) }
        case 5: decode(Wire.Collection<Wire.Invitee>.self, body)?.collection.forEach(invitee)
        case 6: _ = decode(Wire.Resource<Wire.ScheduledEvent>.self, body)?.resource.startTime
        case 7: _ = decode(Wire.Collection<Wire.ScheduledEvent>.self, body)?.pagination?.nextPage
        case 8: _ = decode(Wire.Token.self, body)?.expiresIn
        case 9: _ = decode(Wire.Resource<Wire.WebhookSubscription>.self, body)?.resource.model
        case 10: _ = decode(Wire.Collection<Wire.WebhookSubscription>.self, body)?.collection.map(\.model)
        default: errorReply(Array(input.dropFirst()))
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: Data) -> T? { try? JSONDecoder().decode(type, from: body) }

    /// An invitee as booking, lookup and reconciliation read it.
    static func invitee(_ invitee: Wire.Invitee) {
        _ = invitee.model(start: start)
        _ = invitee.canceledModel(start: start)
        let notices = invitee.notices(eventType: CalendlyURI("https://api.calendly.com/event_types/E"), start: start)
        check(notices.first?.kind == .created && notices.count <= 2, "reconciliation notices out of shape: \(notices.map(\.kind))")
    }

    /// A non-2xx reply: its status, the rate-limit headers and the error body, as the classifier reads them.
    static func errorReply(_ input: [UInt8]) {
        let status = input.count >= 2 ? Int(input[0]) << 8 | Int(input[1]) : 500
        let (header, body) = splitAtNewline(Array(input.dropFirst(2)))
        let text = String(decoding: header, as: UTF8.self)
        let retryAfter = CalendlyErrorClassifier.retryAfterSeconds(retryAfter: text, rateLimitReset: text)
        check(retryAfter.map { $0 >= 0 } ?? true, "negative Retry-After from \(text.debugDescription)")
        _ = CalendlyErrorClassifier.classify(status: status, body: body, retryAfterSeconds: retryAfter)
    }
}
