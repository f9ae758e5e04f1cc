import Core
import Effects
import Foundation

/// `replay`'s output: an incident timeline a person reads top to bottom. Per step, one line with its
/// time, aggregate, what came in (in words) and the state transition; under it one line per effect
/// (messages as the customer saw them, Calendly calls by name with their key arguments). `verbose`
/// adds the full labelled records. Plus `--json` lines and the field-by-field `--diff`.
public enum JournalTimeline {
    /// How many available times the timeline spells out before "…".
    static let shownTimes = 10

    public static func render(_ steps: [Replayer.Step], verbose: Bool = false) -> String {
        var lines: [String] = []
        for step in steps {
            let transition = step.phaseBefore == step.phaseAfter ? "stays \(step.phaseAfter)" : "\(step.phaseBefore) → \(step.phaseAfter)"
            lines.append("#\(step.seq) \(step.at.iso8601) \(step.aggregate.rawValue) \(step.id): \(describe(step)) [\(transition)]")
            for effect in step.produced { lines += describe(effect, step).map { "    " + $0 } }
            if step.produced.isEmpty { lines.append("    (nothing went out)") }
            if !step.matches {
                lines.append("    DIVERGES from the recorded effects:")
                lines += differences(recorded: step.recordedEffects, now: step.effects).map { "      " + $0.description }
            }
            if verbose {
                lines.append("    input  \(step.input.journalValue.json)")
                for effect in step.effects { lines.append("    effect \(effect.json)") }
                lines.append("    state  \(step.stateAfter.json)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One machine-readable, labelled JSON object per step (`replay --json`).
    public static func json(_ step: Replayer.Step) -> String {
        JournalValue.object([
            "seq": step.seq.journal, "at": step.at.journal, "aggregate": .string(step.aggregate.rawValue), "id": step.id.journal,
            "input": step.input.journalValue, "phase_before": step.phaseBefore.journal, "phase_after": step.phaseAfter.journal,
            "effects": .array(step.effects), "matches": step.matches.journal,
            "recorded_effects": step.matches ? .null : .array(step.recordedEffects),
        ]).json
    }

    // MARK: Inputs in words

    static func describe(_ step: Replayer.Step) -> String {
        let zone = step.conversationBefore?.timeZone
        switch step.input {
        case .conversation(let input):
            switch input {
            case .triggerMet(let trigger, _):
                switch trigger.setup {
                case .ready(let setup):
                    return "booking triggered: \(setup.eventType.name) for \(setup.agent) on \(trigger.channel.rawValue), customer in \(trigger.timeZone)"
                case .notOffered(let reason): return "booking triggered but not offered (\(reason.rawValue))"
                }
            case .calendlyReplied(let request, let reply, _): return "Calendly answered \(request): \(describe(reply, zone: zone))"
            case .customerReplied(let text, _):
                let quoted = "customer wrote \(quote(text))"
                if case .slotsShown(let offer)? = step.conversationBefore?.phase, let number = Int(text.trimmingCharacters(in: .whitespaces)),
                   number >= 1, number <= offer.slots.count {
                    return quoted + " = " + label(offer.slots[number - 1].start, zone: zone)
                }
                return quoted
            case .customerChoseRow(let row, _):
                if case .slotsShown(let offer)? = step.conversationBefore?.phase, let index = offer.index(ofRowID: row) {
                    return "customer chose row \(row) = " + label(offer.slots[index].start, zone: zone)
                }
                return "customer chose row \(quote(row))"
            case .timerFired(let timer, _): return "timer \(timer) fired"
            case .bookingSeen(let key, let invitee, _): return "booking \(key) seen in a webhook: \(short(invitee.uri)) at \(label(invitee.start, zone: zone))"
            case .recovered: return "runtime recovered it after a restart"
            }
        case .connection(let input):
            switch input {
            case .connectRequested(let state, _, _): return "admin clicked Connect Calendly (OAuth state \(state))"
            case .authorizationGranted(let state, _, _): return "OAuth code arrived (state \(state))"
            case .authorizationDenied(let state, let error, _): return "OAuth denied: \(quote(error)) (state \(state))"
            case .calendlyReplied(let request, let reply, _): return "Calendly answered \(request): \(describe(reply, zone: nil))"
            case .refreshDue: return "Calendly refused the access token (401): refresh now"
            case .tokenCheck: return "token check (refreshed when it expires within \(Connection.refreshAhead.milliseconds / 60_000) minutes)"
            case .disconnectRequested: return "admin clicked Disconnect"
            case .disconnectKeepingSubscription: return "admin clicked Disconnect (webhook subscription shared, kept)"
            case .subscriptionCheck(let url, _): return "webhook subscription check for \(url)"
            case .reconcileDue(let window, _): return "reconcile bookings starting \(window.from.iso8601) – \(window.to.iso8601)"
            }
        case .config(let input):
            switch input {
            case .opened: return "admin opened the action settings"
            case .refreshRequested: return "admin asked to refresh the event types"
            case .saveRequested(let draft, _, _):
                return "admin saved: event type \(draft.eventType.map(short) ?? "none"), \(draft.enabled ? "enabled" : "disabled")"
            case .calendlyReplied(let request, let reply, _): return "Calendly answered \(request): \(describe(reply, zone: nil))"
            case .policyChanged(let policy): return "eligibility policy changed (secret types \(policy.allowSecret ? "allowed" : "hidden"))"
            case .connectionLost: return "the Calendly connection went away"
            case .runtimeCheck: return "an offer checks the saved event type is fresh (re-read after 15 minutes)"
            case .bookingRefused(let reason, _): return "Calendly refused a booking for its answers (\(reason)): the action needs review"
            }
        case .reference(let input):
            switch input {
            case .intentRecorded(let intent): return "booking intent \(intent.key) recorded for \(intent.start.iso8601)"
            case .intentSettled(let outcome, _): return "intent settled: \(describe(outcome))"
            case .notice(let notice, _): return "webhook \(notice.kind.rawValue) for \(short(notice.event))\(notice.rescheduled ? " (reschedule)" : "")"
            case .bookedViaFallback(let offer, let notice, _): return "webhook \(notice.kind.rawValue) for \(short(notice.event)) through \(offer.conversation)'s static link"
            case .retentionSweep: return "retention sweep"
            }
        }
    }

    static func describe(_ reply: CalendlyReply, zone: String?) -> String {
        switch reply {
        case .tokenGranted(let grant): return "token granted for \(short(grant.owner)), scopes \(grant.scopes.joined(separator: " ")), expires \(grant.expiresAt.iso8601)"
        case .user(let user): return "user \(short(user.uri)) of organization \(short(user.organization))"
        case .revoked: return "token revoked"
        case .eventTypes(let types): return "\(types.count) event types: \(types.map { quote($0.name) }.joined(separator: ", "))"
        case .eventType(let type): return "event type \(quote(type.name))"
        case .availableTimes(let slots):
            let first = slots.prefix(shownTimes).map { label($0.start, zone: zone, withZone: false) }.joined(separator: "; ")
            let where_ = zone.map { " (\($0))" } ?? " (UTC)"
            return slots.isEmpty ? "no available times" : "\(slots.count) available times, first \(min(slots.count, shownTimes)): \(first)\(where_)"
        case .inviteeCreated(let invitee): return "booked \(short(invitee.uri)) at \(label(invitee.start, zone: zone))"
        case .inviteeFound(let invitee?): return "lookup found \(short(invitee.uri))\(invitee.canceledAt == nil ? "" : " (canceled)")"
        case .inviteeFound(nil): return "lookup found no booking"
        case .webhookSubscription(let subscription): return "subscription \(short(subscription.uri))\(subscription.active ? "" : " (disabled)")"
        case .webhookSubscriptions(let subscriptions): return "\(subscriptions.count) webhook subscriptions"
        case .webhookSubscriptionDeleted: return "subscription deleted"
        case .scheduledInvitees(let notices): return "\(notices.count) invitee notices"
        case .failed(let failure): return "failed: \(failure.reason)"
        case .outcomeUnknown: return "no reply — outcome unknown (timeout or lost connection)"
        }
    }

    static func describe(_ outcome: IntentOutcome) -> String {
        switch outcome {
        case .booked(let invitee): return "booked \(short(invitee.uri))"
        case .notBooked(let reason): return "not booked (\(reason))"
        }
    }

    // MARK: Effects in words

    static func describe(_ effect: Effect, _ step: Replayer.Step) -> [String] {
        let zone = step.conversationBefore?.timeZone
        switch effect {
        case .send(let message):
            switch message.content {
            case .text(let text): return block("→ customer sees:", text)
            case .interactiveList(let body, let button, let rows):
                return block("→ customer sees a list [\(button)]:", body) + rows.map { "      [\($0.id)] \($0.title) — \($0.description)" }
            case .buttons(let body, let buttons): return block("→ customer sees buttons:", body) + ["      " + buttons.map { "[\($0.id): \($0.label)]" }.joined(separator: " ")]
            case .confirmationCard(let card): return ["→ customer sees a confirmation card: \(card.eventName), \(card.when), \(card.detailsURL) — \(quote(card.message))"]
            }
        case .calendly(let request, let call): return ["→ Calendly \(call.name) \(request)\(arguments(call, zone: zone))"]
        case .emit(let event): return ["→ telemetry \(event.name)"]
        case .store(let command): return ["→ store \(describe(command, zone: zone))"]
        case .notify(let message):
            switch message {
            case .inviteeNotice(let notice): return ["→ booking reference: \(notice.kind.rawValue) for \(short(notice.event))"]
            case .reconciledNotice(let notice): return ["→ booking reference (reconciled): \(notice.kind.rawValue) for \(short(notice.event))"]
            case .bookingSeen(let conversation, let key, let invitee): return ["→ conversation \(conversation): booking \(key) seen (\(short(invitee.uri)))"]
            case .connectionLost(let agent): return ["→ action config of \(agent): connection lost"]
            case .actionNeedsReview(let agent, let reason, _): return ["→ action config of \(agent): needs review (\(reason))"]
            case .grantRejected(let agent, _): return ["→ connection of \(agent): Calendly refused its token, refresh"]
            }
        case .schedule(let timer, let after): return ["→ timer \(timer) in \(seconds(after))"]
        case .log(let entry): return ["→ log \(entry.level.rawValue): \(entry.message)"]
        case .reject(let rejection): return ["→ rejected \(rejection.code)\(rejection.field.map { " (\($0))" } ?? ""): \(rejection.message)"]
        }
    }

    static func arguments(_ call: CalendlyCall, zone: String?) -> String {
        switch call {
        case .exchangeCode(_, _, let agent): return ": for \(agent)"
        case .currentUser, .refreshToken, .revokeToken: return ""
        case .listEventTypes(_, let user): return ": user \(short(user))"
        case .getEventType(_, let uri): return ": \(short(uri))"
        case .availableTimes(_, let eventType, let from, let to): return ": \(short(eventType)), \(from.iso8601) – \(to.iso8601)"
        case .createInvitee(_, let key, let request): return ": key \(key), \(short(request.eventType)) at \(label(request.start, zone: zone)), invitee \(request.email)"
        case .findInvitee(_, let eventType, let email, let start): return ": \(short(eventType)) at \(start.iso8601), invitee \(email)"
        case .createWebhookSubscription(_, let organization, let url, let events, let user):
            return ": \(events.joined(separator: ", ")) to \(url) for \(short(user ?? organization))"
        case .listWebhookSubscriptions(_, let organization, let user): return ": \(short(user ?? organization))"
        case .deleteWebhookSubscription(_, let uri): return ": \(short(uri))"
        case .listScheduledInvitees(_, let user, let from, let to, _): return ": \(short(user)), \(from.iso8601) – \(to.iso8601)"
        }
    }

    static func describe(_ command: StoreCommand, zone: String?) -> String {
        switch command {
        case .recordIntent(let intent): return "intent \(intent.key) for \(label(intent.start, zone: zone))"
        case .settleIntent(let key, let outcome, _): return "settle \(key): \(describe(outcome))"
        case .deleteTokens(let agent): return "delete every token of \(agent)"
        case .deleteToken(let token): return "delete token \(token)"
        case .appendFailure(let record): return "failure record: \(record.reason)"
        case .deleteReference(let key): return "delete reference \(key)"
        case .deleteFailures(let before): return "delete failure records before \(before.iso8601)"
        case .forgetDeliveries(let before): return "forget webhook deliveries before \(before.iso8601)"
        case .recordFallbackOffer(let offer): return "fallback link offered (\(offer.reference))"
        case .forgetFallbackOffers(let before): return "forget fallback offers before \(before.iso8601)"
        }
    }

    // MARK: Diff

    /// One field where the recorded and the replayed effects differ.
    public struct Difference: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var recorded: String
        public var now: String
        public var description: String { "\(path): recorded \(recorded), now \(now)" }
    }

    /// The first effect that differs, field by field (paths like `effects[1].call.start`).
    public static func differences(recorded: [JournalValue], now: [JournalValue]) -> [Difference] {
        for index in 0..<max(recorded.count, now.count) {
            let path = "effects[\(index)]"
            switch (index < recorded.count ? recorded[index] : nil, index < now.count ? now[index] : nil) {
            case (let old?, let new?):
                let found = differences(old, new, path)
                if !found.isEmpty { return found }
            case (let old?, nil): return [Difference(path: path, recorded: old.json, now: "(absent)")]
            case (nil, let new?): return [Difference(path: path, recorded: "(absent)", now: new.json)]
            case (nil, nil): break
            }
        }
        return []
    }

    static func differences(_ old: JournalValue, _ new: JournalValue, _ path: String) -> [Difference] {
        switch (old, new) {
        case (.members(let left), .members(let right)):
            let keys = left.map(\.key) + right.map(\.key).filter { key in !left.contains { $0.key == key } }
            return keys.flatMap { key -> [Difference] in
                switch (old[key], new[key]) {
                case (let a?, let b?): return differences(a, b, path + "." + key)
                case (let a?, nil): return [Difference(path: path + "." + key, recorded: a.json, now: "(absent)")]
                case (nil, let b?): return [Difference(path: path + "." + key, recorded: "(absent)", now: b.json)]
                case (nil, nil): return []
                }
            }
        case (.array(let left), .array(let right)) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { differences($0.element.0, $0.element.1, path + "[\($0.offset)]") }
        default:
            return old == new ? [] : [Difference(path: path, recorded: old.json, now: new.json)]
        }
    }

    // MARK: Words

    /// "Wed 25 Nov, 09:30 Asia/Jakarta" in the customer's zone; ISO 8601 UTC when there is none.
    static func label(_ instant: Instant, zone: String?, withZone: Bool = true) -> String {
        guard let zone, LocalTime.isKnownZone(zone), Instant.iso8601Range.contains(instant.millisecondsSince1970) else { return instant.iso8601 }
        let text = LocalTime(zoneIdentifier: zone).shortLabel(instant)
        return withZone ? "\(text) \(zone)" : text
    }

    /// The last path segment of a Calendly URI (`EV1`, `ET-INTRO`), which is what people quote.
    static func short(_ uri: CalendlyURI) -> String {
        uri.rawValue.split(separator: "/").last.map(String.init) ?? uri.rawValue
    }

    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    static func seconds(_ span: Span) -> String {
        span.milliseconds % 1000 == 0 ? "\(span.milliseconds / 1000)s" : "\(span.milliseconds)ms"
    }

    /// A heading then the text's lines, indented, as the customer saw them.
    static func block(_ heading: String, _ text: String) -> [String] {
        [heading] + text.split(separator: "\n", omittingEmptySubsequences: false).map { "      │ " + $0 }
    }
}

extension Replayer.Input {
    /// The input as the journal writes it.
    public var journalValue: JournalValue {
        switch self {
        case .conversation(let input): return input.journal
        case .connection(let input): return input.journal
        case .config(let input): return input.journal
        case .reference(let input): return input.journal
        }
    }
}
