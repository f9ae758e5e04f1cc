@testable import Core
import Effects
import Foundation
import Testing

/// CALENDLY-PH2-S02 — Admin selects an Event Type and configures the booking action.
@Suite struct S02ConfigureTests {
    typealias F = Fixtures

    /// A config whose list was fetched (at `now`) from `types`, recorded in `t`.
    static func loaded(_ t: inout Transcript, _ types: [EventType], at now: Instant) -> ActionConfig {
        var config = ActionConfig(agent: F.agent)
        let open = t.config(&config, .opened(F.configAccount(F.connected()), at: now))
        t.config(&config, .calendlyReplied(F.requestID(open)!, .eventTypes(types), at: now))
        return config
    }

    @Test func S02_AC1_onlyActiveSingleHostTypesListed() {
        var t = Transcript("on config load the dropdown lists active single-host one-on-one event types (name + duration); group, round-robin, collective, multi-pool, inactive, paid, poll and secret types are excluded")
        let clock = VirtualClock()
        var config = Self.loaded(&t, F.mixedAccount, at: clock.now)
        for type in F.mixedAccount {
            let reason = config.policy.ineligibility(type)
            t.call("EligibilityPolicy.ineligibility \(type.name) (\(type.uri))", outputs: [reason ?? "eligible"], reason == nil ? "listed" : "excluded")
        }
        let page = config.page()
        #expect(page.items.map(\.name) == ["Intro call", "Product demo"])
        #expect(page.items.map(\.durationMinutes) == [30, 45])
        #expect(config.status == .loaded)
        for excluded in [F.inactive, F.group, F.roundRobin, F.collective, F.multiPool, F.paid, F.poll, F.secret] {
            #expect(!page.items.contains(excluded), "\(excluded.name) must not be listed")
        }

        t.section("the admin opts in to secret (link-only) types, then refreshes the list")
        t.config(&config, .policyChanged(EligibilityPolicy(allowSecret: true)))
        // The cache holds only the types eligible when fetched, so a relaxed policy shows up on the next fetch.
        let refresh = t.config(&config, .refreshRequested(F.configAccount(F.connected()), at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(refresh)!, .eventTypes(F.mixedAccount), at: clock.now))
        #expect(config.page().items.map(\.name) == ["Bot-only call", "Intro call", "Product demo"])

        t.section("an account with no eligible type shows the empty state")
        var empty = Self.loaded(&t, [F.group, F.roundRobin, F.paid], at: clock.now)
        #expect(empty.status == .empty)
        #expect(empty.statusLine == "No eligible event types found in this Calendly account")
        // Reopened within 15 minutes: served from the cache, no refetch.
        let reopen = t.config(&empty, .opened(F.configAccount(F.connected()), at: clock.now + .minutes(14)))
        #expect(reopen.isEmpty)
        t.verify()
    }

    @Test func S02_AC2_mapsNameEmailAndCustomQuestions() {
        var t = Transcript("with an event type selected the admin binds invitee name and email to contact fields and maps answers to the type's (enabled) custom questions")
        var clock = VirtualClock()
        var config = Self.loaded(&t, F.mixedAccount, at: clock.now)
        let account = F.configAccount(F.connected())

        t.section("a mapping to a disabled question is refused, nothing saved")
        clock.advance(.minutes(1))
        let stale = ActionDraft(eventType: F.intro.uri, nameField: "contact.name", emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Old question", field: "contact.notes")])
        let save1 = t.config(&config, .saveRequested(stale, account, at: clock.now))
        let refused = t.config(&config, .calendlyReplied(F.requestID(save1)!, .eventType(F.intro), at: clock.now))
        #expect(F.rejections(refused).map(\.field) == ["questionMappings"])
        #expect(config.saved == nil)

        t.section("name, email and the Company question mapped: saved")
        let save2 = t.config(&config, .saveRequested(F.fullDraft, account, at: clock.now))
        #expect(F.calls(save2) == [.getEventType(F.token, F.intro.uri)], "the type is re-read before saving")
        t.config(&config, .calendlyReplied(F.requestID(save2)!, .eventType(F.intro), at: clock.now))
        #expect(config.saved?.draft.nameField == "contact.name")
        #expect(config.saved?.draft.emailField == "contact.email")
        #expect(config.saved?.draft.questionMappings == [QuestionMapping(question: "Company", field: "contact.company")])

        t.section("at runtime the mapped fields prefill the invitee")
        let readiness = t.resolve("contact with name, email, company", connection: F.connected(), config: config)
        guard case .ready(let setup) = readiness else { Issue.record("not ready: \(readiness)"); return }
        #expect(setup.knownName == "Jane Doe")
        #expect(setup.knownEmail == "Jane.Doe@example.com")
        #expect(setup.answers == [QuestionAnswer(question: "Company", answer: "Acme Clinic")])
        let partial = t.resolve("contact without email or company", connection: F.connected(), config: config, contact: ["contact.name": "  Budi  "])
        guard case .ready(let partialSetup) = partial else { Issue.record("not ready: \(partial)"); return }
        #expect(partialSetup.knownEmail == nil && partialSetup.answers.isEmpty && partialSetup.knownName == "Budi")

        t.section("a type without custom questions saves with no question mappings")
        var demo = config
        let draft = ActionDraft(eventType: F.demo.uri, emailField: "contact.email")
        let save3 = t.config(&demo, .saveRequested(draft, account, at: clock.now))
        t.config(&demo, .calendlyReplied(F.requestID(save3)!, .eventType(F.demo), at: clock.now))
        #expect(demo.saved?.eventType == F.demo)
        t.verify()
    }

    @Test func S02_AC3_saveMakesActionRunnable() {
        var t = Transcript("with mapping and confirmation message set, Save persists a runnable action and stores the booking trigger")
        var clock = VirtualClock()
        var config = Self.loaded(&t, F.mixedAccount, at: clock.now)
        let connection = F.connected()
        #expect(t.resolve("before save", connection: connection, config: config) == .notOffered(.notConfigured))

        clock.advance(.minutes(2))
        let save = t.config(&config, .saveRequested(F.fullDraft, F.configAccount(connection), at: clock.now))
        #expect(config.saved == nil, "nothing is persisted before Calendly confirms the type")
        clock.advance(.milliseconds(300))
        let saved = t.config(&config, .calendlyReplied(F.requestID(save)!, .eventType(F.intro), at: clock.now))
        #expect(F.rejections(saved).isEmpty)
        t.call("the persisted action", outputs: [GoldenJSON.encode(config.saved)], "saved=\(config.saved != nil)")
        #expect(config.saved?.draft.trigger == "Customer asks to book a call or a demo")
        #expect(config.saved?.draft.confirmationMessage == "Thanks! See you soon.")
        #expect(config.saved?.eventType == F.intro)
        #expect(config.saved?.savedAt == clock.now)
        let readiness = t.resolve("after save", connection: connection, config: config)
        guard case .ready(let setup) = readiness else { Issue.record("not runnable: \(readiness)"); return }
        #expect(setup.confirmationMessage == "Thanks! See you soon.")
        #expect(setup.staticLink == "https://calendly.com/acme/intro")

        t.section("an empty confirmation message falls back to the default copy")
        var blank = F.fullDraft
        blank.confirmationMessage = "   "
        let save2 = t.config(&config, .saveRequested(blank, F.configAccount(connection), at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(save2)!, .eventType(F.intro), at: clock.now))
        guard case .ready(let fallback) = t.resolve("blank confirmation", connection: connection, config: config) else {
            Issue.record("not runnable"); return
        }
        #expect(fallback.confirmationMessage == Copy.defaultConfirmation)

        t.section("an admin can switch the action off; it is then never offered")
        var off = F.fullDraft
        off.enabled = false
        let save3 = t.config(&config, .saveRequested(off, F.configAccount(connection), at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(save3)!, .eventType(F.intro), at: clock.now))
        #expect(t.resolve("disabled", connection: connection, config: config) == .notOffered(.actionDisabled))
        t.verify()
    }

    @Test func S02_AC4_over25TypesListed25WithSearch() {
        var t = Transcript("with more than 25 eligible types the dropdown shows 25 and search by name (case/accent-insensitive) finds one beyond the first 25")
        let clock = VirtualClock()
        let many = (1...30).map { number in
            EventType(uri: F.eventTypeURI("ET-C\(number.padded(2))"), name: "Consult \(number.padded(2))", schedulingURL: "https://calendly.com/acme/c\(number)")
        } + [EventType(uri: F.eventTypeURI("ET-CAFE"), name: "Café chat", durationMinutes: 15, schedulingURL: "https://calendly.com/acme/cafe")]
        let config = Self.loaded(&t, many.reversed(), at: clock.now)
        for query in ["", "consult 28", "CONSULT 3", "consult 2", "cafe", "  Café ", "zzz"] {
            let page = config.page(matching: query)
            t.call("page(matching: \"\(query)\")", outputs: page.items.map { "\($0.name) · \($0.durationMinutes) min" },
                   "shown=\(page.items.count) totalMatches=\(page.totalMatches)")
        }
        let first = config.page()
        #expect(first.items.count == 25)
        #expect(first.totalMatches == 31)
        #expect(first.items.first?.name == "Café chat")
        #expect(!first.items.map(\.name).contains("Consult 28"))
        #expect(config.page(matching: "consult 28").items.map(\.name) == ["Consult 28"])
        #expect(config.page(matching: "CONSULT 3").items.map(\.name) == ["Consult 30"])
        #expect(config.page(matching: "cafe").items.map(\.name) == ["Café chat"])
        #expect(config.page(matching: "zzz").items.isEmpty)

        t.section("a type found by search (beyond the first 25) can be saved")
        var saving = config
        let draft = ActionDraft(eventType: F.eventTypeURI("ET-C28"), emailField: "contact.email")
        let save = t.config(&saving, .saveRequested(draft, F.configAccount(F.connected()), at: clock.now))
        t.config(&saving, .calendlyReplied(F.requestID(save)!, .eventType(many[27]), at: clock.now))
        #expect(saving.saved?.eventType.name == "Consult 28")
        t.verify()
    }

    @Test func S02_ERR1_fetchFailureServesCacheOrErrorState() {
        var t = Transcript("an event-type fetch failure shows the cached list (≤15 min) with “Couldn't refresh” + Retry, else an error empty state + Retry; calendly_eventtypes_fetch_failed logged with cache_used")
        var clock = VirtualClock()
        let account = F.configAccount(F.connected())

        t.section("no cache: error empty state, then Retry succeeds")
        var fresh = ActionConfig(agent: F.agent)
        let open = t.config(&fresh, .opened(account, at: clock.now))
        let failed = t.config(&fresh, .calendlyReplied(F.requestID(open)!, .failed(.serverError(status: 500)), at: clock.now))
        #expect(fresh.status == .failedWithoutCache)
        #expect(fresh.statusLine == Copy.eventTypesUnavailable)
        #expect(fresh.page().items.isEmpty)
        #expect(F.events(failed) == [.eventTypesFetchFailed(agent: F.agent, reason: "server_error_500", cacheUsed: false, at: clock.now)])
        clock.advance(.seconds(5))
        let retry = t.config(&fresh, .refreshRequested(account, at: clock.now))
        t.config(&fresh, .calendlyReplied(F.requestID(retry)!, .eventTypes(F.mixedAccount), at: clock.now))
        #expect(fresh.status == .loaded)

        t.section("manual Refresh fails 5 minutes later: the cached list stays with “Couldn't refresh”")
        clock.advance(.minutes(5))
        let refresh = t.config(&fresh, .refreshRequested(account, at: clock.now))
        let cached = t.config(&fresh, .calendlyReplied(F.requestID(refresh)!, .failed(.rateLimited(retryAfter: .seconds(30))), at: clock.now))
        #expect(fresh.status == .refreshFailed)
        #expect(fresh.statusLine == "Couldn't refresh")
        #expect(fresh.page().items.map(\.name) == ["Intro call", "Product demo"])
        #expect(F.events(cached) == [.eventTypesFetchFailed(agent: F.agent, reason: "rate_limited", cacheUsed: true, at: clock.now)])

        t.section("a failure when the cache is older than 15 minutes: the stale list is dropped")
        clock.advance(.minutes(11))
        let late = t.config(&fresh, .refreshRequested(account, at: clock.now))
        let dropped = t.config(&fresh, .calendlyReplied(F.requestID(late)!, .outcomeUnknown, at: clock.now))
        #expect(fresh.status == .failedWithoutCache)
        #expect(fresh.cache == nil)
        #expect(F.events(dropped) == [.eventTypesFetchFailed(agent: F.agent, reason: "timeout", cacheUsed: false, at: clock.now)])

        t.section("a reply to a superseded fetch is ignored")
        let first = t.config(&fresh, .refreshRequested(account, at: clock.now))
        let second = t.config(&fresh, .refreshRequested(account, at: clock.now))
        let ignored = t.config(&fresh, .calendlyReplied(F.requestID(first)!, .failed(.serverError(status: 502)), at: clock.now))
        #expect(ignored.isEmpty)
        t.config(&fresh, .calendlyReplied(F.requestID(second)!, .eventTypes(F.mixedAccount), at: clock.now))
        #expect(fresh.status == .loaded)
        t.verify()
    }

    @Test func S02_ERR2_saveBlockedNamingMissingField() {
        var t = Transcript("Save without an event type or invitee-email mapping is blocked with inline validation naming the field; nothing partial is persisted")
        let clock = VirtualClock()
        var config = Self.loaded(&t, F.mixedAccount, at: clock.now)
        let account = F.configAccount(F.connected())
        let drafts: [(String, ActionDraft, String)] = [
            ("no event type", ActionDraft(nameField: "contact.name", emailField: "contact.email", trigger: "wants a call"), "eventType"),
            ("no email mapping", ActionDraft(eventType: F.intro.uri, nameField: "contact.name", trigger: "wants a call"), "emailField"),
            ("blank email mapping", ActionDraft(eventType: F.intro.uri, emailField: "   "), "emailField"),
            ("nothing at all", ActionDraft(), "eventType"),
            ("confirmation message over 1,000 characters", ActionDraft(eventType: F.intro.uri, emailField: "contact.email",
                                                                      confirmationMessage: String(repeating: "x", count: 1001)), "confirmationMessage"),
        ]
        for (label, draft, field) in drafts {
            t.section(label)
            let before = config
            let effects = t.config(&config, .saveRequested(draft, account, at: clock.now))
            #expect(F.rejections(effects).map(\.field) == [field], "\(label)")
            #expect(F.calls(effects).isEmpty && F.stores(effects).isEmpty, "\(label): nothing leaves the core")
            #expect(config == before, "\(label): state unchanged")
        }
        #expect(config.saved == nil && config.pendingSave == nil)
        let missing = ActionConfig.reduce(&config, .saveRequested(drafts[1].1, account, at: clock.now))
        #expect(F.rejections(missing).first?.message == "Map the invitee email to a contact or conversation field.")

        t.section("an invalid save never replaces an action saved earlier")
        var savedConfig = F.saved()
        let previous = savedConfig.saved
        t.config(&savedConfig, .saveRequested(drafts[1].1, account, at: clock.now))
        #expect(savedConfig.saved == previous)

        t.section("not connected: Save is refused")
        let orphan = t.config(&config, .saveRequested(F.fullDraft, nil, at: clock.now))
        #expect(F.rejections(orphan).map(\.code) == ["not_connected"])
        t.verify()
    }

    @Test func S02_concurrency_eventTypeDeletedBeforeSave() {
        var t = Transcript("S02 concurrency: the event type is deleted (or made ineligible) in Calendly between the list fetch and Save — Save is refused, nothing saved")
        var clock = VirtualClock()
        var config = Self.loaded(&t, F.mixedAccount, at: clock.now)
        let account = F.configAccount(F.connected())
        #expect(config.page().items.contains(F.intro))

        t.section("deleted in Calendly: 404 on the re-read")
        clock.advance(.minutes(3))
        let save = t.config(&config, .saveRequested(F.fullDraft, account, at: clock.now))
        let gone = t.config(&config, .calendlyReplied(F.requestID(save)!, .failed(.notFound), at: clock.now))
        #expect(F.rejections(gone).map(\.field) == ["eventType"])
        #expect(F.rejections(gone).first?.message == Copy.eventTypeGone)
        #expect(config.saved == nil && config.pendingSave == nil)

        t.section("made paid / round-robin in Calendly since the fetch")
        for changed in [EventType(uri: F.intro.uri, name: "Intro call", isPaid: true, schedulingURL: F.intro.schedulingURL),
                        EventType(uri: F.intro.uri, name: "Intro call", poolingType: .roundRobin, schedulingURL: F.intro.schedulingURL),
                        EventType(uri: F.intro.uri, name: "Intro call", active: false, schedulingURL: F.intro.schedulingURL)] {
            let retry = t.config(&config, .saveRequested(F.fullDraft, account, at: clock.now))
            let refused = t.config(&config, .calendlyReplied(F.requestID(retry)!, .eventType(changed), at: clock.now))
            #expect(F.rejections(refused).first?.message == Copy.eventTypeIneligible)
            #expect(config.saved == nil)
        }

        t.section("Calendly unreachable during the re-read: Save asks to try again, nothing saved")
        let again = t.config(&config, .saveRequested(F.fullDraft, account, at: clock.now))
        let down = t.config(&config, .calendlyReplied(F.requestID(again)!, .outcomeUnknown, at: clock.now))
        #expect(F.rejections(down).map(\.code) == ["calendly_unavailable"])
        #expect(config.saved == nil)

        t.section("the connection is lost while the save is in flight: the late reply saves nothing")
        let inFlight = t.config(&config, .saveRequested(F.fullDraft, account, at: clock.now))
        t.config(&config, .connectionLost)
        let late = t.config(&config, .calendlyReplied(F.requestID(inFlight)!, .eventType(F.intro), at: clock.now))
        #expect(late.isEmpty && config.saved == nil)
        t.verify()
    }
}
