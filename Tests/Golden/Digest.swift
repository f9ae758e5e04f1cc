@testable import Core
import Effects

/// Compact, deterministic one-line summaries of aggregate state for the `= ` lines of a transcript.
enum Digest {
    static func connection(_ c: Connection) -> String {
        let phase: String
        switch c.phase {
        case .notConnected: phase = "notConnected"
        case .connecting(let state, let startedAt): phase = "connecting(state=\(state), startedAt=\(startedAt))"
        case .exchangingCode(let state, let request): phase = "exchangingCode(state=\(state), request=\(request))"
        case .loadingUser(let grant, let request): phase = "loadingUser(token=\(grant.token), request=\(request))"
        case .connected(let account): phase = "connected(\(describe(account)))"
        case .refreshing(let account, let request): phase = "refreshing(\(describe(account)), request=\(request))"
        case .failed(let reason): phase = "failed(\(reason))"
        case .disconnected(let reason): phase = "disconnected(\(reason))"
        }
        return "connection[\(c.agent)] \(phase) replacing=\(c.replacing.map(describe) ?? "-") lastError=\(c.lastError ?? "-") "
            + "status=\"\(c.statusLine)\" requests=\(c.requestsIssued)" + cleanup(c)
    }

    /// Subscription care and pending revokes, only when there is something to say (older lines stay as they were).
    static func cleanup(_ c: Connection) -> String {
        var parts: [String] = []
        let care = c.webhooks
        if care.subscription != nil || care.step != .idle || care.lastError != nil {
            let step: String
            switch care.step {
            case .idle: step = "idle"
            case .creating(let request, let reason): step = "creating(\(request)\(reason.map { ", recreating=\($0)" } ?? ""))"
            case .listing(let request, .check): step = "listing(\(request), check)"
            case .listing(let request, .afterConflict(let reason)): step = "listing(\(request), after409\(reason.map { ", recreating=\($0)" } ?? ""))"
            case .removingDisabled(let request): step = "removingDisabled(\(request))"
            }
            parts.append("webhooks=\(care.subscription?.rawValue ?? "-") step=\(step) webhookError=\(care.lastError ?? "-")")
        }
        if !c.revoking.isEmpty { parts.append("revoking=" + c.revoking.map { "\($0.token)\($0.disconnect ? "(disconnect)" : "")" }.joined(separator: ",")) }
        if let teardown = c.teardown { parts.append("teardown=\(teardown.request)→revoke[\(teardown.tokens.map(\.rawValue).joined(separator: ","))]") }
        return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }

    static func describe(_ account: Connection.Account) -> String {
        "email=\(account.email), token=\(account.token), plan=\(account.planInsufficient ? "insufficient" : "ok")"
    }

    static func config(_ c: ActionConfig) -> String {
        let status: String
        switch c.status {
        case .notLoaded: status = "notLoaded"
        case .loading(let request): status = "loading(\(request))"
        case .loaded: status = "loaded"
        case .empty: status = "empty"
        case .refreshFailed: status = "refreshFailed"
        case .failedWithoutCache: status = "failedWithoutCache"
        case .planInsufficient: status = "planInsufficient"
        }
        let cache = c.cache.map { "\($0.catalog.eventTypes.count)@\($0.fetchedAt)" } ?? "-"
        let saved = c.saved.map { "\($0.eventType.name)@\($0.savedAt)" } ?? "-"
        let page = c.page()
        let shown = page.items.map(\.name).joined(separator: "|")
        return "config[\(c.agent)] status=\(status) cache=\(cache) saved=\(saved) pendingSave=\(c.pendingSave?.request.rawValue ?? "-") "
            + "line=\(c.statusLine.map { "\"\($0)\"" } ?? "-") dropdown=\(page.items.count)/\(page.totalMatches)[\(shown)]"
    }

    static func conversation(_ c: BookingConversation) -> String {
        let phase: String
        switch c.phase {
        case .idle: phase = "idle"
        case .notOffered(let reason): phase = "notOffered(\(reason.rawValue))"
        case .checkingAvailability(let request): phase = "checkingAvailability(\(request))"
        case .slotsShown(let offer): phase = "slotsShown(offer=\(offer.number), slots=\(offer.slots.count))"
        case .askingEmail(let offer, let chosen): phase = "askingEmail(offer=\(offer.number), chosen=\(chosen.start))"
        case .askingQuestion(let offer, let chosen, let step):
            let asked: String
            switch step.ask {
            case .question(let question): asked = "question(\(question.type) \"\(question.name)\")"
            case .locationChoice(let places): asked = "locationChoice(\(places.map(\.kind).joined(separator: "|")))"
            case .locationDetail(let place): asked = "locationDetail(\(place.kind))"
            }
            let known = c.details.map { d in
                "answers=\(d.answers.count) location=\(d.location?.kind ?? d.chosenLocation.map { "\($0.kind)?" } ?? "-")"
            } ?? "-"
            phase = "askingQuestion(offer=\(offer.number), chosen=\(chosen.start), ask=\(step.number) \(asked), unclear=\(step.unclear), \(known))"
        case .booking(let attempt): phase = "booking(key=\(attempt.key), sends=\(attempt.sends), request=\(attempt.request))"
        case .reconciling(let attempt, let lookup):
            phase = "reconciling(key=\(attempt.key), sends=\(attempt.sends), lookup=\(lookup?.rawValue ?? "waiting"))"
        case .confirmed(let invitee): phase = "confirmed(\(invitee.uri) at \(invitee.start))"
        case .staticLink(let reason): phase = "staticLink(\(reason))"
        }
        return "conversation[\(c.id)] \(phase) channel=\(c.channel.rawValue) zone=\(c.timeZone) email=\(c.email ?? "-") "
            + "offers=\(c.offers) attempts=\(c.attempts) conflicts=\(c.conflicts) lookups=\(c.lookups) unclear=\(c.unclearReplies) "
            + "invalidEmails=\(c.invalidEmails) taken=\(c.takenStarts.count)"
    }

    static func reference(_ key: BookingKey?, _ r: BookingReference?) -> String {
        guard let r else { return "reference[\(key?.rawValue ?? "none")] absent" }
        let moves = (r.reschedules ?? []).map { "\($0.from)→\($0.to?.rawValue ?? "?")@\($0.start?.iso8601 ?? "?")" }
        return "reference[\(r.key)] status=\(r.status.rawValue) start=\(r.start) invitee=\(r.invitee?.rawValue ?? "-") "
            + "email=\(r.email == nil ? "-" : "held") recordedAt=\(r.recordedAt) canceledAt=\(r.canceledAt?.iso8601 ?? "-")"
            + (r.origin == .fallbackLink ? " origin=fallback_link" : "") + (moves.isEmpty ? "" : " rescheduled=[\(moves.joined(separator: ", "))]")
    }

    static func intake(_ i: WebhookIntake) -> String {
        let ids = i.processed.keys.sorted().map(\.rawValue).joined(separator: ", ")
        return "intake processed=\(i.processed.count)[\(ids)]"
    }

    static func counts(_ c: Analytics.Counts) -> String {
        "offered=\(c.offered) created=\(c.created) failed=\(c.failed) canceled=\(c.canceled) conflicts=\(c.conflicts) "
            + "rescheduled=\(c.rescheduled) fallbackBooked=\(c.fallbackBooked)"
    }

    static func analytics(_ a: Analytics) -> String {
        let days = a.days.keys.sorted().map { "\($0.agent)@\($0.date){\(counts(a.days[$0]!))}" }
        return "analytics days=\(days.count) \(days.joined(separator: " "))"
    }
}
