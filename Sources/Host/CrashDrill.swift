import ArgumentParser
import Core
import Effects
import Foundation
import Interpreters
import Logging

/// `calendly-action crash-drill` (hidden): one step of a booking conversation, in its own process, on
/// a SQLite file and against a Calendly-compatible base URL (the emulator). A crash test kills it with
/// SIGKILL in the middle of a step and starts it again with `--phase recover`, exactly as a restarted
/// service would resume (DESIGN §5). Progress goes to stdout as unbuffered `drill: …` lines; customer
/// emails and tokens never do.
struct CrashDrill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-drill",
        abstract: "Run one booking step against a Calendly emulator on a SQLite file (for kill -9 tests).",
        shouldDisplay: false
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// OAuth with the emulator (auto-approve) and a saved, runnable action for `--event-type`.
        case connect
        /// Trigger the offer and pick the slot at `--slot-index`: the conversation then asks for the email.
        case offer
        /// Send `--email`: the intent is stored and the booking call goes out.
        case email
        /// `offer`, then `email`.
        case book
        /// Resume every conversation that was waiting on Calendly and wait until each one settles.
        case recover
    }

    @Option(help: "The SQLite database file (created if missing).") var database: String
    @Option(help: "Calendly API and auth base URL (the emulator's).") var calendlyBase: String
    @Option(help: "connect, offer, email, book or recover.") var phase: Phase
    @Option(help: "The AI agent id.") var agent = "drill:agent-1"
    @Option(help: "The conversation id.") var conversation = "drill:conv-1"
    @Option(help: "The customer's email (sent in the email step; never printed).") var email = "drill.customer@example.com"
    @Option(help: "The emulator event type id the action books.") var eventType = "ET-INTRO"
    @Option(help: "Which offered slot the customer picks.") var slotIndex = 0
    @Option(help: "Budget of the booking call in milliseconds (default: PRD §6), so a drill can hold it open.") var bookingBudgetMs: Int?
    @Option(help: "Sleep this long before sending the email (a window to interrupt the process in).") var pauseBeforeEmailMs = 0
    @Option(help: "How long `recover` waits for conversations to settle.") var settleTimeoutSeconds = 60

    static let redirectPath = "/_emulator/state"
    static let contactFields = ["contact.name": "Drill Customer", "contact.company": "Acme"]

    func validate() throws {
        guard URL(string: calendlyBase)?.host != nil else { throw ValidationError("--calendly-base must be a URL such as http://127.0.0.1:8090") }
        guard slotIndex >= 0 else { throw ValidationError("--slot-index must not be negative") }
        guard (bookingBudgetMs ?? 1) > 0, pauseBeforeEmailMs >= 0, settleTimeoutSeconds > 0 else {
            throw ValidationError("budgets, pauses and timeouts must be positive")
        }
    }

    func run() async throws {
        let vault: TokenVault
        do { vault = try TokenVault.fromEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw ValidationError("\(TokenVault.keyVariable) must hold a base64 32-byte key (\(error))")
        }
        let store = try SQLiteStore(path: database)
        let keeper = SQLiteTokenKeeper(store: store, vault: vault)
        var configuration = LiveCalendly.Configuration(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret,
                                                       redirectURI: calendlyBase + Self.redirectPath, apiBase: calendlyBase, authBase: calendlyBase)
        if let bookingBudgetMs {
            configuration.budget = { call in
                if case .createInvitee = call { return Span(milliseconds: Int64(bookingBudgetMs)) }
                return call.budget
            }
        }
        let calendly = LiveCalendly(configuration: configuration, tokens: keeper, verifiers: keeper)
        let runtime = LiveRuntime(store: store, calendly: calendly, sink: DrillSink(), telemetry: DrillTelemetry(), now: LiveCalendly.wallClock)
        let steps = DrillSteps(runtime: runtime, keeper: keeper, base: configuration.apiBase, agent: AgentID(agent),
                               conversation: ConversationID(conversation))
        switch phase {
        case .connect:
            try await steps.connect(eventType: eventType)
        case .offer:
            try await steps.offer(slotIndex: slotIndex)
        case .email:
            try await steps.sendEmail(email, pauseMs: pauseBeforeEmailMs)
        case .book:
            try await steps.offer(slotIndex: slotIndex)
            try await steps.sendEmail(email, pauseMs: pauseBeforeEmailMs)
        case .recover:
            try await steps.recover(store: store, timeout: .seconds(settleTimeoutSeconds))
        }
    }
}

/// The drill's steps, each through `LiveRuntime`'s inputs exactly as the host's routes drive them.
struct DrillSteps {
    let runtime: LiveRuntime<SQLiteStore>
    let keeper: SQLiteTokenKeeper
    let base: String
    let agent: AgentID
    let conversation: ConversationID

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func say(_ line: String) {
        // Unbuffered: the test watching the output must see a line the moment it is written.
        FileHandle.standardOutput.write(Data(("drill: " + line + "\n").utf8))
    }

    func connect(eventType: String) async throws {
        let state = OAuthState("drill-" + UUID().uuidString.lowercased())
        let verifier = CalendlyPKCE.makeVerifier()
        try await keeper.saveVerifier(state: state.rawValue, verifier: verifier, at: LiveCalendly.wallClock())
        // No webhook receiver in a drill: no subscription is created.
        _ = try await runtime.connection(agent, .connectRequested(state, webhookURL: "", at: LiveCalendly.wallClock()))
        let url = LiveCalendly.authorizeURL(authBase: base, clientID: EmulatorModel.clientID, redirectURI: base + CrashDrill.redirectPath,
                                            state: state.rawValue, codeChallenge: CalendlyPKCE.challenge(for: verifier),
                                            scopes: Connection.requiredScopes)
        // The emulator approves at once and redirects to the redirect URI with the code (read off the
        // redirect itself: the client follows none).
        let location: String?
        switch await CurlHTTPClient.shared.send(HTTPRequest("GET", url.absoluteString)) {
        case .success(let response): location = response.header("location")
        case .failure(let failure): throw Failure("the authorize request failed: \(failure)")
        }
        let items = location.flatMap { URLComponents(string: $0)?.queryItems } ?? []
        guard let code = items.first(where: { $0.name == "code" })?.value else { throw Failure("the authorize redirect carried no code") }
        let (connection, rejections) = try await runtime.connection(agent, .authorizationGranted(state, code: code, at: LiveCalendly.wallClock()))
        guard rejections.isEmpty, let account = connection.account else { throw Failure("not connected: \(connection.phase)") }
        let configAccount = ActionConfig.Account(token: account.token, user: account.user, planInsufficient: account.planInsufficient)
        _ = try await runtime.config(agent, .opened(configAccount, at: LiveCalendly.wallClock()))
        let draft = ActionDraft(eventType: CalendlyURI(base + "/event_types/" + eventType), nameField: "contact.name", emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Company", field: "contact.company")],
                                trigger: "customer asks to meet", confirmationMessage: "See you soon!", enabled: true)
        let (config, saveRejections) = try await runtime.config(agent, .saveRequested(draft, configAccount, at: LiveCalendly.wallClock()))
        guard saveRejections.isEmpty, config.saved != nil else { throw Failure("action not saved: \(saveRejections.map(\.code))") }
        Self.say("connected")
    }

    func offer(slotIndex: Int) async throws {
        let (connection, config) = try runtime.agentState(agent)
        let readiness = BookingSetup.resolve(entitlements: .all, connection: connection, config: config, contactFields: CrashDrill.contactFields)
        let trigger = BookingConversation.Trigger(setup: readiness, channel: .whatsapp, timeZone: "Europe/Berlin")
        _ = try await runtime.conversation(conversation, .triggerMet(trigger, at: LiveCalendly.wallClock()))
        guard case .slotsShown(let offer)? = try runtime.conversationState(conversation)?.phase else {
            throw Failure("no slots shown: \(try phaseName())")
        }
        let index = min(slotIndex, offer.slots.count - 1)
        Self.say("chose \(offer.slots[index].start.iso8601)")
        _ = try await runtime.conversation(conversation, .customerChoseRow(offer.rowID(index), at: LiveCalendly.wallClock()))
        Self.say("phase \(try phaseName())")
    }

    func sendEmail(_ email: String, pauseMs: Int) async throws {
        if pauseMs > 0 {
            Self.say("pausing before email")
            try await Task.sleep(for: .milliseconds(pauseMs))
        }
        Self.say("sending email")
        _ = try await runtime.conversation(conversation, .customerReplied(email, at: LiveCalendly.wallClock()))
        Self.say("phase \(try phaseName())")
    }

    /// What `serve` does at start: every conversation left waiting on Calendly resumes (a booking in
    /// doubt is looked up, never resent blindly); then waits until none of them waits any more.
    func recover(store: SQLiteStore, timeout: Duration) async throws {
        let waiting = try store.conversationIDsAwaitingCalendly()
        Self.say("recovering \(waiting.count)")
        await runtime.recover(waiting)
        let deadline = ContinuousClock.now + timeout
        while try waiting.contains(where: { try runtime.conversationState($0)?.phase.awaitsCalendly ?? false }) {
            guard ContinuousClock.now < deadline else { throw Failure("conversations still waiting on Calendly after \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        Self.say("phase \(try phaseName())")
    }

    func phaseName() throws -> String { try runtime.conversationState(conversation)?.phase.name ?? "idle" }
}

/// Messages produced outside a step (after recovery): only their kind is printed, never their text.
struct DrillSink: MessageSink {
    func deliver(_ message: ChannelMessage) async {
        let kind: String
        switch message.content {
        case .text: kind = "text"
        case .interactiveList: kind = "interactive_list"
        case .buttons: kind = "buttons"
        case .confirmationCard: kind = "confirmation_card"
        }
        DrillSteps.say("message \(kind)")
    }
}

struct DrillTelemetry: TelemetrySink {
    func observe(_ event: TelemetryEvent) async {}
}
