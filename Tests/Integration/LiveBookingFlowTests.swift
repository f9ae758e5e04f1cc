import Core
import Effects
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

/// The production stack end to end (issue 3): `LiveRuntime` + `LiveCalendly` + `SQLiteStore` on a
/// temporary file + the emulator over loopback HTTP, with the emulator's signed webhooks delivered to
/// a receiver that hands them to `runtime.webhook` the way the host's webhook route does.
struct LiveFlowHarness {
    static let agent = AgentID("acme:agent-1")
    static let contact = ["contact.name": "Casey Customer", "contact.company": "Acme"]

    let baseURL: String
    let model: EmulatorModel
    let store: SQLiteStore
    let keeper: SQLiteTokenKeeper
    let runtime: LiveRuntime<SQLiteStore>
    let outbox: FlowOutbox
    let webhooks: WebhookVerdicts
    let receiverURL: String

    /// A fresh emulator, database and receiver for `body`; everything is stopped and removed afterwards.
    static func run(_ body: (LiveFlowHarness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("live-flow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let emulator = try await startEmulator(seed: 11, faults: "none")
        let store = try SQLiteStore(path: directory.appendingPathComponent("flow.sqlite").path)
        // A test-only key (not a secret): 32 bytes of 7.
        let vault = try TokenVault.fromEnvironment([TokenVault.keyVariable: Data(repeating: 7, count: 32).base64EncodedString()])
        let keeper = SQLiteTokenKeeper(store: store, vault: vault)
        let configuration = LiveCalendly.Configuration(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret,
                                                       redirectURI: emulator.baseURL + CrashDrill.redirectPath,
                                                       apiBase: emulator.baseURL, authBase: emulator.baseURL)
        let calendly = LiveCalendly(configuration: configuration, tokens: keeper, verifiers: keeper)
        let outbox = FlowOutbox()
        let runtime = LiveRuntime(store: store, calendly: calendly, sink: outbox, telemetry: FlowTelemetry(), now: LiveCalendly.wallClock)
        let webhooks = WebhookVerdicts()
        let receiver: (port: Int, stop: @Sendable () async -> Void)
        do {
            receiver = try await startInBackground(router: webhookRouter(runtime, webhooks))
        } catch {
            await emulator.shutdown()
            throw error
        }
        let harness = LiveFlowHarness(baseURL: emulator.baseURL, model: emulator.model, store: store, keeper: keeper, runtime: runtime,
                                      outbox: outbox, webhooks: webhooks, receiverURL: "http://127.0.0.1:\(receiver.port)/v1/webhooks/calendly")
        do {
            try await body(harness)
        } catch {
            await stop(emulator, receiver)
            throw error
        }
        await stop(emulator, receiver)
    }

    /// Lets webhook deliveries finish before the emulator shuts down: `shutdown` cancels the ones
    /// still running, and cancelling a task inside FoundationNetworking's `URLSession.data(for:)` just
    /// as its transfer completes can deadlock (task status lock vs. the session queue) and hang the run.
    static func stop(_ emulator: (baseURL: String, shutdown: @Sendable () async -> Void, model: EmulatorModel),
                     _ receiver: (port: Int, stop: @Sendable () async -> Void)) async {
        for delivery in await emulator.model.deliveryTasks { await delivery.value }
        await emulator.shutdown()
        await receiver.stop()
    }

    /// The host's webhook route in miniature (RuntimeRoutes' WebhookRoutes): raw body and signature
    /// header to the runtime, which verifies, dedupes and applies; a bad signature answers 401.
    static func webhookRouter(_ runtime: LiveRuntime<SQLiteStore>, _ webhooks: WebhookVerdicts) -> Router<BasicRequestContext> {
        let router = Router()
        let signature = WebhookSignature(key: EmulatorModel.developmentSigningKey, hmac: CryptoHMAC.sha256)
        router.post("/v1/webhooks/calendly") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: WebhookIntake.maxBodyBytes)
            let header = request.headers[HTTPField.Name(WebhookSignature.headerName)!]
            let verdict = try await runtime.webhook(WebhookIntake.Delivery(signatureHeader: header, body: Array(body.readableBytesView)),
                                                    signature: signature)
            webhooks.add(verdict)
            if case .rejected = verdict { return .unauthorized }
            return .ok
        }
        return router
    }

    // MARK: - S01/S02 through the runtime's inputs, as the admin routes drive them

    /// The real OAuth round trip: state + PKCE verifier kept, consent auto-approved by the emulator,
    /// the code exchanged by `LiveCalendly`, the user loaded — tokens end up sealed in SQLite.
    func connectThroughOAuth() async throws -> Connection.Account {
        let state = OAuthState("flow-state-" + UUID().uuidString.lowercased())
        let verifier = CalendlyPKCE.makeVerifier()
        try await keeper.saveVerifier(state: state.rawValue, verifier: verifier, at: LiveCalendly.wallClock())
        // The test registers its own subscription (below); the core is given no URL to subscribe.
        let (connecting, _) = try await runtime.connection(Self.agent, .connectRequested(state, webhookURL: "", at: LiveCalendly.wallClock()))
        #expect(connecting.phase.isConnecting)
        let url = LiveCalendly.authorizeURL(authBase: baseURL, clientID: EmulatorModel.clientID, redirectURI: baseURL + CrashDrill.redirectPath,
                                            state: state.rawValue, codeChallenge: CalendlyPKCE.challenge(for: verifier), scopes: Connection.requiredScopes)
        let (_, response) = try await URLSession.shared.data(from: url)
        let query = try #require(response.url.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: false)?.queryItems })
        #expect(query.first { $0.name == "state" }?.value == state.rawValue)
        let code = try #require(query.first { $0.name == "code" }?.value)
        let (connection, rejections) = try await runtime.connection(Self.agent, .authorizationGranted(state, code: code, at: LiveCalendly.wallClock()))
        #expect(rejections.isEmpty)
        #expect(connection.statusLine == Copy.connectedAs("host@example.com"))
        let account = try #require(connection.account)
        #expect(account.user.rawValue == baseURL + "/users/HOST" && !account.planInsufficient)
        // At rest the tokens are ciphertext only.
        let stored = try #require(try await keeper.load(account.token))
        let sealed = try store.transaction { try $0.sealedToken(account.token, lock: false) }
        #expect(sealed.map { !String(decoding: $0.ciphertext, as: UTF8.self).contains(stored.accessToken) } == true)
        return account
    }

    func saveAction(_ account: Connection.Account) async throws {
        let configAccount = ActionConfig.Account(token: account.token, user: account.user, planInsufficient: account.planInsufficient)
        let (opened, _) = try await runtime.config(Self.agent, .opened(configAccount, at: LiveCalendly.wallClock()))
        #expect(opened.status == .loaded)
        let draft = ActionDraft(eventType: CalendlyURI(baseURL + "/event_types/ET-INTRO"), nameField: "contact.name", emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Company", field: "contact.company")],
                                trigger: "customer asks to meet", confirmationMessage: "See you soon!", enabled: true)
        let (config, rejections) = try await runtime.config(Self.agent, .saveRequested(draft, configAccount, at: LiveCalendly.wallClock()))
        #expect(rejections.isEmpty)
        #expect(config.saved?.eventType.name == "Intro call")
    }

    /// Registers the receiver at the emulator's `/webhook_subscriptions` with the connection's own token.
    func subscribeToWebhooks(_ account: Connection.Account) async throws {
        let tokens = try #require(try await keeper.load(account.token))
        let body = #"{"url":"\#(receiverURL)","events":["invitee.created","invitee.canceled"],"organization":"\#(account.organization.rawValue)","user":"\#(account.user.rawValue)","scope":"user"}"#
        let created = try await EmuHTTP.send("POST", baseURL + "/webhook_subscriptions", bearer: tokens.accessToken, json: body)
        #expect(created.status == 201)
    }

    func connectConfigureAndSubscribe() async throws {
        let account = try await connectThroughOAuth()
        try await saveAction(account)
        try await subscribeToWebhooks(account)
    }

    // MARK: - S03 helpers

    /// The trigger as the offer route builds it; no email among the contact fields, so the customer is asked.
    func offer(_ conversation: ConversationID) async throws -> LiveRuntime<SQLiteStore>.StepResult {
        let (connection, config) = try runtime.agentState(Self.agent)
        let readiness = BookingSetup.resolve(entitlements: .all, connection: connection, config: config, contactFields: Self.contact)
        let trigger = BookingConversation.Trigger(setup: readiness, channel: .whatsapp, timeZone: "Asia/Jakarta")
        return try await runtime.conversation(conversation, .triggerMet(trigger, at: LiveCalendly.wallClock()))
    }

    func phase(_ conversation: ConversationID) throws -> BookingConversation.Phase? { try runtime.conversationState(conversation)?.phase }

    func shownOffer(_ conversation: ConversationID) throws -> SlotOffer {
        guard case .slotsShown(let offer)? = try phase(conversation) else {
            throw FlowError.unexpectedPhase(try phase(conversation)?.name ?? "none")
        }
        return offer
    }

    /// The emulator's own record of bookings (`GET /_emulator/state`).
    func emulatorBookings() async throws -> [[String: Any]] {
        let state = try await EmuHTTP.send("GET", baseURL + "/_emulator/state")
        #expect(state.status == 200)
        return state.json["bookings"] as? [[String: Any]] ?? []
    }

    /// The booking reference once `done` holds, or as it is when the wait gives up (the caller asserts).
    func reference(_ key: BookingKey, until done: (BookingReference) -> Bool) async throws -> BookingReference? {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let reference = try store.transaction { $0.reference(key) }
            if let reference, done(reference) { return reference }
            if ContinuousClock.now >= deadline { return reference }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

enum FlowError: Error { case unexpectedPhase(String) }

/// Messages produced outside a step (none are expected in these flows; a webhook-confirmed booking
/// that the reply already confirmed says nothing twice).
final class FlowOutbox: MessageSink, Sendable {
    private let messages = Mutex<[ChannelMessage]>([])
    func deliver(_ message: ChannelMessage) async { messages.withLock { $0.append(message) } }
    var delivered: [ChannelMessage] { messages.withLock { $0 } }
}

struct FlowTelemetry: TelemetrySink {
    func observe(_ event: TelemetryEvent) async {}
}

/// What the runtime answered to each delivery the receiver got.
final class WebhookVerdicts: Sendable {
    private let verdicts = Mutex<[WebhookIntake.Verdict]>([])
    func add(_ verdict: WebhookIntake.Verdict) { verdicts.withLock { $0.append(verdict) } }
    var all: [WebhookIntake.Verdict] { verdicts.withLock { $0 } }
    var acceptedInvitees: [CalendlyURI] {
        all.compactMap { verdict in
            if case .accepted(let notice) = verdict, notice.kind == .created { return notice.invitee }
            return nil
        }
    }

    /// The accepted `invitee.created` deliveries once there are `count` (the receiver records a verdict
    /// only after the runtime has applied it), or as many as came before the wait gave up.
    func acceptedInvitees(count: Int) async -> [CalendlyURI] {
        let deadline = ContinuousClock.now + .seconds(15)
        while acceptedInvitees.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(25)) }
        return acceptedInvitees
    }
}

extension Connection.Phase {
    var isConnecting: Bool {
        if case .connecting = self { return true }
        return false
    }
}

@Suite struct LiveBookingFlowTests {
    /// S03 AC-1…AC-3 on the live stack: offer → select → email → book, then Calendly's signed
    /// `invitee.created` webhook confirms the stored booking reference.
    @Test func S03_offerSelectEmailBookAndTheSignedWebhookConfirms() async throws {
        try await LiveFlowHarness.run { harness in
            try await harness.connectConfigureAndSubscribe()
            let conversation = ConversationID("acme:flow-1")

            let offered = try await harness.offer(conversation)
            #expect(offered.messages.first?.content == .text(Copy.checkingAvailability))
            let offer = try harness.shownOffer(conversation)
            guard case .interactiveList(_, _, let rows)? = offered.messages.last?.content else {
                Issue.record("no interactive list: \(offered.messages)"); return
            }
            #expect(rows.map(\.id) == offer.slots.indices.map(offer.rowID))
            let now = LiveCalendly.wallClock()
            #expect(offer.slots.allSatisfy { $0.start > now && $0.start < now + .days(8) })

            let chosen = offer.slots[1]
            let selected = try await harness.runtime.conversation(conversation, .customerChoseRow(offer.rowID(1), at: LiveCalendly.wallClock()))
            #expect(selected.messages.map(\.content) == [.text(Copy.askEmail)])

            let customer = "casey.customer@example.com"
            let booked = try await harness.runtime.conversation(conversation, .customerReplied(customer, at: LiveCalendly.wallClock()))
            guard case .confirmationCard(let card)? = booked.messages.last?.content else {
                Issue.record("no confirmation card: \(booked.messages)"); return
            }
            #expect(card.eventName == "Intro call" && card.message == "See you soon!")
            guard case .confirmed(let invitee)? = try harness.phase(conversation) else {
                Issue.record("not confirmed: \(try harness.phase(conversation)?.name ?? "none")"); return
            }
            #expect(invitee.start == chosen.start && invitee.email == customer)

            // Calendly holds exactly this one booking, made through the API with the mapped answers.
            let bookings = try await harness.emulatorBookings()
            #expect(bookings.count == 1)
            #expect(bookings.first?["invitee"] as? String == invitee.uri.rawValue)
            #expect(bookings.first?["email"] as? String == customer)
            #expect((bookings.first?["start_time"] as? String).flatMap(Instant.init(iso8601:)) == chosen.start)
            #expect(bookings.first?["via_api"] as? Bool == true)

            // The signed webhook reaches the receiver, passes verification and confirms the reference.
            let key = BookingKey("\(conversation)#1")
            let reference = try await harness.reference(key) { $0.status == .confirmed }
            #expect(reference?.status == .confirmed)
            #expect(reference?.invitee == invitee.uri && reference?.start == chosen.start && reference?.email == nil)
            #expect(await harness.webhooks.acceptedInvitees(count: 1) == [invitee.uri])
            #expect(!harness.webhooks.all.contains { if case .rejected = $0 { return true } else { return false } })
            #expect(try harness.store.conversationIDsAwaitingCalendly().isEmpty)
            #expect(harness.outbox.delivered.isEmpty)
            // Journals keep redacted addresses only.
            let journal = try harness.store.transaction { tx in try tx.db.rows("SELECT payload FROM journal") { $0.text(0) ?? "" } }
            #expect(!journal.isEmpty && !journal.contains { $0.contains(customer) })
        }
    }

    /// S03 ERR-1 on the live stack: two conversations are offered the same slot and both take it at
    /// once. Calendly books it once; the loser hears the PRD copy and gets a fresh offer without that
    /// time, then books another one — and no slot is ever booked twice.
    @Test func slotRaceBooksOnceAndReoffersTheLoser() async throws {
        try await LiveFlowHarness.run { harness in
            try await harness.connectConfigureAndSubscribe()
            let first = ConversationID("acme:race-a"), second = ConversationID("acme:race-b")
            let emails = [first: "ann.race@example.com", second: "bob.race@example.com"]
            _ = try await harness.offer(first)
            _ = try await harness.offer(second)
            let offers = [first: try harness.shownOffer(first), second: try harness.shownOffer(second)]
            let contested = try #require(offers[first]?.slots.first { offers[second]?.slots.contains($0) == true })
            for (conversation, offer) in offers {
                let row = offer.rowID(try #require(offer.slots.firstIndex(of: contested)))
                let picked = try await harness.runtime.conversation(conversation, .customerChoseRow(row, at: LiveCalendly.wallClock()))
                #expect(picked.messages.map(\.content) == [.text(Copy.askEmail)])
            }

            async let firstResult = harness.runtime.conversation(first, .customerReplied(emails[first]!, at: LiveCalendly.wallClock()))
            async let secondResult = harness.runtime.conversation(second, .customerReplied(emails[second]!, at: LiveCalendly.wallClock()))
            let results = [first: try await firstResult, second: try await secondResult]

            let confirmed = try [first, second].filter { if case .confirmed? = try harness.phase($0) { return true } else { return false } }
            try #require(confirmed.count == 1, "exactly one conversation wins the slot")
            let winner = confirmed[0], loser = winner == first ? second : first
            guard case .confirmed(let won)? = try harness.phase(winner) else { return }
            #expect(won.start == contested.start)

            // The loser: the PRD's "just taken" line, then a new list without the taken time.
            let loserMessages = try #require(results[loser]).messages
            #expect(loserMessages.first?.content == .text(Copy.slotJustTaken))
            guard case .interactiveList? = loserMessages.last?.content else { Issue.record("no new list: \(loserMessages)"); return }
            let reoffer = try harness.shownOffer(loser)
            #expect(reoffer.number == 2 && !reoffer.slots.isEmpty && !reoffer.slots.contains(contested))
            let loserState = try #require(try harness.runtime.conversationState(loser))
            #expect(loserState.conflicts == 1 && loserState.takenStarts == [contested.start])

            var bookings = try await harness.emulatorBookings()
            #expect(bookings.count == 1)
            #expect(bookings.first?["email"] as? String == emails[winner] && (bookings.first?["start_time"] as? String).flatMap(Instant.init(iso8601:)) == contested.start)
            #expect(try harness.store.transaction { $0.reference(BookingKey("\(loser)#1")) }?.status == .notBooked)

            // The loser picks the first new time; its email is known now, so that books at once.
            let rebooked = try await harness.runtime.conversation(loser, .customerChoseRow(reoffer.rowID(0), at: LiveCalendly.wallClock()))
            guard case .confirmationCard? = rebooked.messages.last?.content else { Issue.record("not rebooked: \(rebooked.messages)"); return }
            guard case .confirmed(let rebookedInvitee)? = try harness.phase(loser) else { Issue.record("loser not confirmed"); return }
            #expect(rebookedInvitee.start == reoffer.slots[0].start)

            bookings = try await harness.emulatorBookings()
            let slots = bookings.compactMap { ($0["start_time"] as? String).flatMap(Instant.init(iso8601:)) }
            #expect(bookings.count == 2 && Set(slots) == [contested.start, rebookedInvitee.start])
            #expect(Set(bookings.compactMap { $0["email"] as? String }) == Set(emails.values))
            #expect(bookings.allSatisfy { $0["status"] as? String == "active" })

            // Both real bookings are confirmed by their webhooks; the lost attempt stays not booked.
            let winnerReference = try await harness.reference(BookingKey("\(winner)#1")) { $0.status == .confirmed }
            let loserReference = try await harness.reference(BookingKey("\(loser)#2")) { $0.status == .confirmed }
            #expect(winnerReference?.invitee == won.uri && loserReference?.invitee == rebookedInvitee.uri)
            #expect(try harness.store.transaction { $0.reference(BookingKey("\(loser)#1")) }?.status == .notBooked)
            #expect(Set(await harness.webhooks.acceptedInvitees(count: 2)) == [won.uri, rebookedInvitee.uri])
        }
    }
}
