import Core
import Effects
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Host
@testable import Interpreters

/// Crash safety (issue 3, DESIGN §5): the built `calendly-action crash-drill` runs a booking step in a
/// child process against an in-process emulator; the test kills it with SIGKILL at a chosen point,
/// starts it again with `--phase recover`, and checks what Calendly and the database hold.
@Suite(.serialized) struct CrashDrillTests {
    static let conversation = "drill:conv-1"
    static let customer = "drill.customer@example.com"
    static var firstKey: BookingKey { BookingKey("\(conversation)#1") }

    /// Killed after the intent committed and after Calendly booked, while the reply is held back:
    /// the restart looks the booking up and confirms it — it never books again.
    @Test func killedAfterCalendlyBookedButBeforeTheReplyConfirmsOnRestart() async throws {
        try await DrillWorld.run { world in
            try await world.connect()
            await world.model.inject(EmulatorFault(path: "/invitees", method: "POST", delayMs: 60_000, afterCommit: true))
            let child = try world.launch("book", ["--booking-budget-ms", "120000"])
            let chosen = try await child.chosenSlot()
            try await world.waitUntil("the intent is committed and Calendly holds the booking", child) {
                guard try world.reference() != nil else { return false }
                return try await world.bookings().count == 1
            }
            try await child.killHard()

            // Killed mid-step: the committed intent and the waiting conversation are what the restart sees.
            #expect(try world.store.conversationIDsAwaitingCalendly() == [ConversationID(Self.conversation)])
            #expect(try world.reference()?.status == .pending)

            let recovered = try await world.runToEnd("recover")
            #expect(recovered.contains("drill: recovering 1"))
            #expect(DrillProcess.finalPhase(recovered) == "confirmed")
            try await world.expectExactlyOneConfirmedBooking(at: chosen)
        }
    }

    /// Killed after the intent committed while the booking request waits at Calendly, unprocessed:
    /// the restart finds no booking, sends the same key once more, and confirms.
    @Test func killedWhileTheBookingRequestIsInFlightConfirmsOnRestart() async throws {
        try await DrillWorld.run { world in
            try await world.connect()
            await world.model.inject(EmulatorFault(path: "/invitees", method: "POST", delayMs: 60_000))
            let child = try world.launch("book", ["--booking-budget-ms", "120000"])
            let chosen = try await child.chosenSlot()
            try await world.waitUntil("the intent is committed and the request reached Calendly", child) {
                guard try world.reference() != nil else { return false }
                return await world.model.scriptedFaults.isEmpty
            }
            try await child.killHard()
            // The request still sleeps at Calendly (its handler outlives the dead client): nothing is booked yet.
            #expect(try await world.bookings().isEmpty)
            #expect(try world.store.conversationIDsAwaitingCalendly() == [ConversationID(Self.conversation)])
            #expect(try world.reference()?.status == .pending)

            let recovered = try await world.runToEnd("recover")
            #expect(DrillProcess.finalPhase(recovered) == "confirmed")
            try await world.expectExactlyOneConfirmedBooking(at: chosen)
        }
    }

    /// Killed while its email step waits for the database write lock (held here), i.e. before the
    /// intent could commit: nothing was booked, nothing is in doubt, and the conversation carries on.
    @Test func killedBeforeTheIntentCommitsLeavesNothingBookedAndResumes() async throws {
        try await DrillWorld.run { world in
            try await world.connect()
            let child = try world.launch("book", ["--pause-before-email-ms", "4000"])
            let chosen = try await child.chosenSlot()
            _ = try await child.waitForLine("drill: pausing before email")
            let lock = try Database(path: world.databasePath)
            try lock.execute("BEGIN IMMEDIATE")
            try #require(!child.lines.contains("drill: sending email"), "the lock must be held before the email step starts")
            _ = try await child.waitForLine("drill: sending email")
            // Give the child a moment to block on the lock; killed earlier, it would have written nothing either.
            try await Task.sleep(for: .milliseconds(300))
            try await child.killHard()
            try lock.execute("ROLLBACK")

            guard case .askingEmail(_, let pending)? = try world.phase() else {
                Issue.record("expected askingEmail, found \(try world.phase()?.name ?? "none")"); return
            }
            #expect(pending == chosen)
            #expect(try world.reference() == nil)
            #expect(try world.store.transaction { try $0.count(.bookingIntents) } == 0)
            #expect(try world.store.conversationIDsAwaitingCalendly().isEmpty)
            #expect(try await world.bookings().isEmpty)

            let recovered = try await world.runToEnd("recover")
            #expect(recovered == ["drill: recovering 0", "drill: phase askingEmail"])
            let resumed = try await world.runToEnd("email")
            #expect(DrillProcess.finalPhase(resumed) == "confirmed")
            try await world.expectExactlyOneConfirmedBooking(at: chosen)
        }
    }

    /// Concurrent writers (issue 3, SQLite): two drill processes book in two conversations while this
    /// process runs its own read-modify-write steps on the same file. Every step of all three commits
    /// and the file stays sound.
    @Test func twoProcessesAndThisOneWriteOneDatabaseConcurrently() async throws {
        try await DrillWorld.run { world in
            try await world.connect()
            let conversations = ["drill:conv-a", "drill:conv-b"]
            let children = try conversations.enumerated().map { index, conversation in
                try world.launch("book", conversation: conversation, email: "writer\(index)@example.com", ["--slot-index", String(index)])
            }
            // Write for as long as either child runs, so the three writers overlap whatever the timing.
            var steps = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while (children.contains(where: { $0.process.isRunning }) && ContinuousClock.now < deadline) || steps < 20 {
                try SQLiteStoreTests.writeOneStep(world.store, writer: 0, step: steps)
                steps += 1
                // A steady writer, not a lock hog: SQLite's busy wait is not fair, and a loop that
                // re-takes the write lock at once could starve the children past their busy timeout.
                try await Task.sleep(for: .milliseconds(5))
            }
            for child in children {
                let ending = try await child.waitForExit()
                #expect(ending == .exited(0), "\(child.lines) \(child.errors)")
                #expect(DrillProcess.finalPhase(child.lines) == "confirmed")
            }
            let reopened = try SQLiteStore(path: world.databasePath)
            for store in [world.store, reopened] {
                #expect(try store.integrityCheck() == "ok")
                #expect(try store.transaction { try $0.loadConversation("counter") }?.offers == steps)
                #expect(try store.transaction { try $0.count(.webhookDeliveries) } == steps)
                for conversation in conversations {
                    let state = try store.transaction { try $0.loadConversation(ConversationID(conversation)) }
                    #expect(state?.phase.name == "confirmed")
                    #expect(try store.transaction { $0.reference(BookingKey("\(conversation)#1")) }?.status == .created)
                }
            }
            let bookings = try await world.bookings()
            #expect(bookings.count == 2)
            #expect(Set(bookings.compactMap { $0["email"] as? String }) == ["writer0@example.com", "writer1@example.com"])
        }
    }

    @Test func crashDrillIsRegisteredButHidden() throws {
        #expect(CalendlyAction.configuration.subcommands.contains { ObjectIdentifier($0) == ObjectIdentifier(CrashDrill.self) })
        #expect(CrashDrill.configuration.shouldDisplay == false)
        let drill = try CrashDrill.parse(["--database", "/tmp/x.sqlite", "--calendly-base", "http://127.0.0.1:1", "--phase", "recover"])
        #expect(drill.phase == .recover && drill.conversation == Self.conversation)
        #expect(throws: (any Error).self) { try CrashDrill.parse(["--database", "x", "--calendly-base", "http://127.0.0.1:1", "--phase", "explode"]) }
    }
}

/// An emulator in this process, a database file, and drill children pointed at both.
struct DrillWorld {
    /// A test-only key (not a secret): 32 bytes of 9.
    static let encryptionKey = Data(repeating: 9, count: 32).base64EncodedString()

    let baseURL: String
    let model: EmulatorModel
    let directory: URL
    let databasePath: String
    let binary: URL
    /// The test's own connection to the drill's database (a second process, as far as SQLite knows).
    let store: SQLiteStore
    let launched: LaunchedProcesses

    static func run(_ body: (DrillWorld) async throws -> Void) async throws {
        let binary = try DrillProcess.binary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-drill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let databasePath = directory.appendingPathComponent("drill.sqlite").path
        let emulator = try await startEmulator(seed: 5, faults: "none")
        let launched = LaunchedProcesses()
        do {
            let world = DrillWorld(baseURL: emulator.baseURL, model: emulator.model, directory: directory, databasePath: databasePath,
                                   binary: binary, store: try SQLiteStore(path: databasePath), launched: launched)
            try await body(world)
        } catch {
            launched.killSurvivors()
            await emulator.shutdown()
            throw error
        }
        launched.killSurvivors()
        await emulator.shutdown()
    }

    func launch(_ phase: String, conversation: String = CrashDrillTests.conversation, email: String = CrashDrillTests.customer,
                _ extra: [String] = []) throws -> DrillProcess {
        try DrillProcess.launch(binary: binary, arguments: ["crash-drill", "--database", databasePath, "--calendly-base", baseURL, "--phase", phase,
                                                            "--conversation", conversation, "--email", email] + extra,
                                environment: [TokenVault.keyVariable: Self.encryptionKey], directory: directory, registry: launched)
    }

    /// Runs a drill phase to its end and returns its `drill:` lines; a failing child fails the test.
    func runToEnd(_ phase: String, _ extra: [String] = []) async throws -> [String] {
        let child = try launch(phase, extra)
        let status = try await child.waitForExit()
        try #require(status == .exited(0), "crash-drill --phase \(phase) ended \(status); stderr: \(child.errors)")
        return child.lines
    }

    func connect() async throws {
        #expect(try await runToEnd("connect") == ["drill: connected"])
    }

    func reference() throws -> BookingReference? { try store.transaction { $0.reference(CrashDrillTests.firstKey) } }
    func phase() throws -> BookingConversation.Phase? { try store.transaction { try $0.loadConversation(ConversationID(CrashDrillTests.conversation)) }?.phase }

    func bookings() async throws -> [[String: Any]] {
        try await EmuHTTP.send("GET", baseURL + "/_emulator/state").json["bookings"] as? [[String: Any]] ?? []
    }

    /// Polls `condition` until it holds; fails (with the child's output) when the child exits first or time runs out.
    func waitUntil(_ what: String, _ child: DrillProcess, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(try await condition()) {
            guard child.process.isRunning else { throw DrillFailure("the drill exited before \(what): \(child.lines) \(child.errors)") }
            guard ContinuousClock.now < deadline else { throw DrillFailure("timed out waiting until \(what): \(child.lines)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Exactly one booking at Calendly, for our customer at the chosen time; the conversation is
    /// confirmed with that very invitee; the reference holds it; nothing is left in doubt.
    func expectExactlyOneConfirmedBooking(at slot: Slot) async throws {
        let bookings = try await bookings()
        #expect(bookings.count == 1, "bookings at the emulator: \(bookings.count)")
        let booking = try #require(bookings.first)
        #expect(booking["email"] as? String == CrashDrillTests.customer && (booking["start_time"] as? String).flatMap(Instant.init(iso8601:)) == slot.start)
        #expect(booking["status"] as? String == "active")
        guard case .confirmed(let invitee)? = try phase() else {
            Issue.record("not confirmed: \(try phase()?.name ?? "none")"); return
        }
        #expect(invitee.uri.rawValue == booking["invitee"] as? String && invitee.start == slot.start)
        let reference = try reference()
        #expect(reference?.invitee == invitee.uri && reference?.status == .created)
        #expect(try store.transaction { try $0.count(.bookingIntents) } == 1)
        #expect(try store.conversationIDsAwaitingCalendly().isEmpty)
        #expect(try store.integrityCheck() == "ok")
    }
}

/// The children a test started, so a failing test never leaves one running.
final class LaunchedProcesses: @unchecked Sendable {
    // Process is not Sendable; every access goes through the lock.
    private let lock = NSLock()
    private var processes: [Process] = []

    func add(_ process: Process) { lock.withLock { processes.append(process) } }

    func killSurvivors() {
        lock.withLock {
            for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}

struct DrillFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One `calendly-action` child process; stdout and stderr go to files the test reads.
struct DrillProcess {
    enum Ending: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        var description: String {
            switch self {
            case .exited(let code): return "with exit code \(code)"
            case .signaled(let signal): return "by signal \(signal)"
            }
        }
    }

    let process: Process
    let output: URL
    let errorOutput: URL

    /// The built executable: next to the test runner in the products directory (what
    /// `swift build --build-tests` fills), else `.build/debug` of this package.
    static func binary() throws -> URL {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["CALENDLY_ACTION_BINARY"] { candidates.append(URL(fileURLWithPath: explicit)) }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("calendly-action"))
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("calendly-action"))
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/calendly-action"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw DrillFailure("calendly-action is not built (run `swift build --build-tests`); looked at \(candidates.map(\.path))")
        }
        return found
    }

    static func launch(binary: URL, arguments: [String], environment: [String: String], directory: URL,
                       registry: LaunchedProcesses) throws -> DrillProcess {
        let name = UUID().uuidString
        let output = directory.appendingPathComponent("\(name).out"), errorOutput = directory.appendingPathComponent("\(name).err")
        for file in [output, errorOutput] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw DrillFailure("cannot create \(file.path)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errorOutput)
        try process.run()
        registry.add(process)
        return DrillProcess(process: process, output: output, errorOutput: errorOutput)
    }

    var lines: [String] {
        String(decoding: FileManager.default.contents(atPath: output.path) ?? Data(), as: UTF8.self)
            .split(separator: "\n").map(String.init).filter { $0.hasPrefix("drill: ") }
    }

    /// The phase the drill reported last (`drill: phase <name>`); `drill: message …` lines from
    /// recovered conversations may come before or after it.
    static func finalPhase(_ lines: [String]) -> String? {
        lines.last { $0.hasPrefix("drill: phase ") }.map { String($0.dropFirst("drill: phase ".count)) }
    }

    var errors: String { String(decoding: FileManager.default.contents(atPath: errorOutput.path) ?? Data(), as: UTF8.self) }

    func waitForLine(_ prefix: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            guard process.isRunning else { throw DrillFailure("the drill exited without printing \(prefix): \(lines) \(errors)") }
            guard ContinuousClock.now < deadline else { throw DrillFailure("no line \(prefix) yet: \(lines)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The slot the drill's customer picked (`drill: chose <ISO 8601>`).
    func chosenSlot() async throws -> Slot {
        let line = try await waitForLine("drill: chose ")
        return Slot(start: try #require(Instant(iso8601: String(line.dropFirst("drill: chose ".count)))))
    }

    func waitForExit(timeout: Duration = .seconds(90)) async throws -> Ending {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw DrillFailure("the drill did not finish: \(lines) \(errors)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationReason == .uncaughtSignal ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
    }

    /// kill -9: no handler runs, nothing is flushed or rolled back by the process itself.
    func killHard() async throws {
        try #require(process.isRunning, "the drill finished before it could be killed: \(lines)")
        kill(process.processIdentifier, SIGKILL)
        #expect(try await waitForExit() == .signaled(SIGKILL))
    }
}
