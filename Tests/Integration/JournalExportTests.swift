import Core
import Effects
import Foundation
import Hummingbird
import HummingbirdTesting
import Interpreters
@testable import PostgresStore
import Testing
@testable import Host

/// A journal written by the runtime into a SQLite file, exported by `journal export` and replayed:
/// the export is exactly what `replay` reads, and the current core reproduces every recorded effect.
@Suite struct JournalExportTests {
    /// A host over a SQLite file in a fresh temporary directory, with the in-process Calendly model.
    struct SQLiteHost {
        let directory: String
        let clock = TestClock(HostHarness.start)
        let store: SQLiteStore
        let services: HostServices<SQLiteStore>
        var databasePath: String { directory + "/calendly-action.sqlite" }

        init() throws {
            directory = NSTemporaryDirectory() + "journal-export-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            store = try SQLiteStore(path: directory + "/calendly-action.sqlite")
            services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        }

        var application: some ApplicationProtocol { Application(router: buildRouter(services)) }
        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// Connects, configures and books conv-7 over text (email asked), one minute between replies.
        func bookConversation() async throws { try await Self.book(services, clock) }

        static func book<Store: TransactionalStore>(_ services: HostServices<Store>, _ clock: TestClock) async throws {
            try await Application(router: buildRouter(services)).test(.router) { client in
                try await HostRoutesTests.connectAndConfigure(client)
                let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta"}"#
                _ = try await client.call(.post, "/v1/conversations/conv-7/booking/offer", token: HostRoutesTests.runtime, json: offer)
                clock.advance(.minutes(1))
                _ = try await client.call(.post, "/v1/conversations/conv-7/booking/reply", token: HostRoutesTests.runtime, json: #"{"text":"2"}"#)
                clock.advance(.minutes(1))
                let (_, booked, _) = try await client.call(.post, "/v1/conversations/conv-7/booking/reply", token: HostRoutesTests.runtime,
                                                           json: #"{"text":"Dee.Customer@Example.COM"}"#)
                #expect(booked["state"] as? String == "confirmed")
            }
        }

        func export(_ subject: JournalExportCommand.Subject, account: String? = nil, from: Instant? = nil, to: Instant? = nil) throws -> String {
            try JournalExportCommand.export(databasePath: databasePath, subject: subject, account: account, from: from, to: to,
                                            exportedAt: clock.now)
        }
    }

    @Test func anExportedConversationReplaysWithoutDivergence() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        let text = try host.export(.conversation("conv-7"))
        let lines = text.split(separator: "\n")
        let header = try #require(JournalFormat.header(line: String(lines[0])))
        #expect(header.format == JournalRecord.format && header.version == JournalRecord.currentVersion)

        let records = try Replayer.parse(text)
        #expect(records.count == lines.count - 1 && records.count >= 5)
        // The conversation's steps and its booking's (reference) steps, nothing of anyone else.
        #expect(records.allSatisfy { ($0.aggregate == .conversation && $0.id == "acme:conv-7") || ($0.aggregate == .reference && $0.id.hasPrefix("acme:conv-7#")) })
        #expect(records.contains { $0.aggregate == .reference })
        // Each record is numbered with its row in the store.
        let rows = try host.store.transaction { try $0.journal(stream: "conversation:acme:conv-7") }
        #expect(records.map { Int64($0.seq) } == rows.map(\.seq))

        let steps = try Replayer.replay(records)
        #expect(steps.allSatisfy { $0.matches })
        #expect(steps.last { $0.aggregate == .conversation }?.phaseAfter == "confirmed")

        // The command itself: `replay file --diff` exits zero.
        let file = host.directory + "/incident.jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let replay = try ReplayCommand.parse([file, "--diff"])
        try replay.run()
    }

    @Test func exportReadsAClosedDatabaseWithoutChangingIt() async throws {
        let directory: String
        do {
            let host = try SQLiteHost()
            try await host.bookConversation()
            directory = host.directory
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/calendly-action.sqlite"
        // Closed by its last owner: SQLite has checkpointed and removed the WAL.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = try JournalExportCommand.export(databasePath: path, subject: .conversation("conv-7"), account: nil, from: nil, to: nil,
                                                   exportedAt: HostHarness.start)
        #expect(try Replayer.replay(try Replayer.parse(text)).allSatisfy { $0.matches })
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// Rows are written in the current format; a row an older build wrote (version 1: synthesized coding,
    /// JSON inside strings) sits beside them in the same stream and is migrated as it is exported.
    @Test func rowsOfTheOldFormatExportInTheNewOneAndReplay() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        let rows = try host.store.transaction { try $0.journal(stream: "conversation:acme:conv-7") }
        #expect(rows.allSatisfy { $0.payload.hasPrefix(#"{"version":2,"#) })
        #expect(!rows.contains { $0.payload.contains(#"\""#) && $0.payload.contains(#""input":""#) }, "no JSON inside strings")

        let incidents = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden/Incidents")
        let old = String(decoding: try Data(contentsOf: incidents.appendingPathComponent("v1/token-refresh-failure.jsonl")), as: UTF8.self)
            .split(separator: "\n").dropFirst().map(String.init)
        try host.store.transaction { tx in
            for line in old { try tx.appendJournal(stream: "conversation:acme:legacy", at: HostHarness.start, kind: "conversation", payload: line) }
        }
        let text = try host.export(.conversation("legacy"), account: "acme")
        let lines = text.split(separator: "\n")
        #expect(lines.count == old.count + 1)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(#"{"version":2,"#) })
        let steps = try Replayer.replay(try Replayer.parse(text))
        // Version 1 predates the 401 notice to the connection (`grant_rejected`, issue 11): the one effect it may lack.
        let grantRejected = { (effect: JournalValue) in effect["kind"] == "notify" && effect["message"]?["kind"] == "grant_rejected" }
        #expect(steps.count == old.count && steps.allSatisfy { $0.effects.filter { !grantRejected($0) } == $0.recordedEffects })
        #expect(steps.last?.phaseAfter == "staticLink")

        // A row no known version describes is an error naming the row and the field, not a silent gap.
        try host.store.transaction { tx in
            try tx.appendJournal(stream: "conversation:acme:legacy", at: HostHarness.start, kind: "conversation",
                                 payload: #"{"version":2,"seq":0,"at":"2026-11-25T00:00:00Z","stream":"s","aggregate":"conversation","id":"x","input":{"kind":"x"},"effects":[],"state_before":{}}"#)
        }
        let records = try JournalExport.records(try host.store.transaction { try $0.journal(stream: "conversation:acme:legacy") })
        let bad = try #require(records.last)
        #expect {
            try Replayer.replay([bad])
        } throws: { error in
            "\(error)".contains("input.kind: unknown kind \"x\"")
        }
        let legacyRows = try host.store.transaction { try $0.journal(stream: "conversation:acme:legacy") }
        #expect {
            try JournalExport.records(legacyRows.map { JournalRow(seq: $0.seq, stream: $0.stream, at: $0.at, kind: $0.kind, payload: "{\"version\":7}") })
        } throws: { error in
            "\(error)".contains("journal row") && "\(error)".contains("version 7 is not supported")
        }
    }

    @Test func anAgentStreamExportsAndReplays() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        let records = try Replayer.parse(try host.export(.agent("agent-1")))
        #expect(Set(records.map(\.aggregate)) == [.connection, .config])
        #expect(try Replayer.replay(records).allSatisfy { $0.matches })
    }

    @Test func fromAndToSelectStepsByTime() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        let all = try Replayer.parse(try host.export(.conversation("conv-7")))
        let middle = HostHarness.start + .minutes(1)
        let early = try Replayer.parse(try host.export(.conversation("conv-7"), to: middle - .milliseconds(1)))
        let late = try Replayer.parse(try host.export(.conversation("conv-7"), from: middle))
        let window = try Replayer.parse(try host.export(.conversation("conv-7"), from: middle, to: middle))
        #expect(!early.isEmpty && !late.isEmpty && !window.isEmpty)
        #expect(early.allSatisfy { $0.at < middle } && late.allSatisfy { $0.at >= middle } && window.allSatisfy { $0.at == middle })
        #expect(early + late == all)
        // A slice replays too: each record carries the state before it.
        #expect(try Replayer.replay(late).allSatisfy { $0.matches })
    }

    @Test func unknownOrAmbiguousIdsAreClearErrors() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        #expect(throws: JournalExportCommand.Failure.self) { try host.export(.conversation("conv-404")) }
        do {
            _ = try host.export(.conversation("conv-404"))
        } catch {
            #expect("\(error)".contains("no journal for conversation conv-404"))
        }
        #expect(throws: SQLiteJournalReader.Failure.noDatabase(path: host.directory + "/missing/calendly-action.sqlite")) {
            try JournalExportCommand.export(databasePath: host.directory + "/missing/calendly-action.sqlite", subject: .conversation("conv-7"),
                                            account: nil, from: nil, to: nil, exportedAt: host.clock.now)
        }
        #expect(!FileManager.default.fileExists(atPath: host.directory + "/missing"))

        // The same raw id in a second account: the export asks for --account, and takes it.
        try await host.application.test(.router) { client in
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"Asia/Jakarta"}"#
            _ = try await client.call(.post, "/v1/conversations/conv-7/booking/offer", token: HostHarness.token(.runtime, account: "beta"), json: offer)
        }
        do {
            _ = try host.export(.conversation("conv-7"))
            Issue.record("an ambiguous id exported")
        } catch {
            #expect("\(error)".contains("acme, beta") && "\(error)".contains("--account"))
        }
        #expect(try Replayer.parse(try host.export(.conversation("conv-7"), account: "acme")).count >= 5)
        #expect(try Replayer.parse(try host.export(.conversation("conv-7"), account: "beta")).count == 1)
        #expect(throws: JournalExportCommand.Failure.self) { try host.export(.conversation("conv-7"), account: "gamma") }
    }

    @Test func theExportHoldsNoEmailNoCodeNoToken() async throws {
        let host = try SQLiteHost()
        defer { host.remove() }
        try await host.bookConversation()
        let text = try host.export(.conversation("conv-7")) + (try host.export(.agent("agent-1")))
        #expect(!text.lowercased().contains("dee.customer"))
        #expect(!text.contains("host@example.com"))
        #expect(text.contains("@example.invalid"))
        #expect(!text.contains("code=abc") && !text.contains(#""code":"abc""#))
        #expect(text.contains("<redacted>"))
        // No platform token, and the core only ever holds a token reference, never a Calendly token.
        let bearer = HostRoutesTests.runtime.dropFirst("Bearer ".count)
        #expect(!text.contains(bearer) && !text.contains("access_token") && !text.contains("refresh_token"))
    }

    @Test func theCommandRefusesAMissingSubject() throws {
        #expect(throws: (any Error).self) { try JournalExportCommand.parse(["--data-dir", "/nonexistent"]) }
        #expect(throws: (any Error).self) { try JournalExportCommand.parse(["--conversation", "a", "--agent", "b"]) }
        #expect(throws: (any Error).self) { try JournalExportCommand.parse(["--conversation", "a", "--from", "yesterday"]) }
        #expect(throws: (any Error).self) {
            let command = try JournalExportCommand.parse(["--conversation", "a", "--data-dir", "/nonexistent-\(UUID().uuidString)"])
            try command.run()
        }
    }
}

/// `journal export` and `purge` with `DATABASE_URL` (issue 13): the hosts' shared PostgreSQL is read as
/// the SQLite file is — the same conversation exports the same lines and replays — and reading never
/// migrates or writes (a database nothing migrated is refused, and stays empty).
@Suite struct PostgresJournalExportTests {
    @Test func thePostgresJournalExportsWhatSQLitesDoesAndReplays() async throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let postgres = try PostgresStore(url: url, schema: schema, poolSize: 2)
        defer { _ = try? postgres.transaction { try $0.session.run("DROP SCHEMA \(PostgresStore.quoted(schema)) CASCADE", operation: "drop") } }
        let sqlite = try JournalExportTests.SQLiteHost()
        defer { sqlite.remove() }
        try await sqlite.bookConversation()
        let clock = TestClock(HostHarness.start)
        let services = HostHarness.services(store: postgres, calendly: HostHarness.calendly(clock: clock), clock: clock)
        try await JournalExportTests.SQLiteHost.book(services, clock)

        let reader = try PostgresJournalReader(url: url, schema: schema)
        let fromPostgres = try JournalExportCommand.export(reader, subject: .conversation("conv-7"), account: nil, from: nil, to: nil, exportedAt: clock.now)
        let fromSQLite = try sqlite.export(.conversation("conv-7"))
        #expect(fromPostgres == fromSQLite)
        #expect(try Replayer.replay(try Replayer.parse(fromPostgres)).allSatisfy { $0.matches })
        #expect(throws: JournalExportCommand.Failure.self) {
            try JournalExportCommand.export(reader, subject: .conversation("conv-404"), account: nil, from: nil, to: nil, exportedAt: clock.now)
        }
    }

    @Test func readingADatabaseNothingMigratedChangesNothing() throws {
        guard let url = try PostgresTestDatabase.url() else { return }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresStore(url: url, schema: schema + "_admin", poolSize: 1)
        defer {
            _ = try? admin.transaction { tx in
                try tx.session.run("DROP SCHEMA IF EXISTS \(PostgresStore.quoted(schema)) CASCADE", operation: "drop")
                try tx.session.run("DROP SCHEMA \(PostgresStore.quoted(schema + "_admin")) CASCADE", operation: "drop")
            }
        }
        _ = try admin.transaction { try $0.session.run("CREATE SCHEMA \(PostgresStore.quoted(schema))", operation: "create") }
        #expect(throws: PostgresStoreError.notMigrated) { try PostgresJournalReader(url: url, schema: schema) }
        let tables = try admin.transaction { tx in
            try tx.session.rows("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", [.text(schema)], operation: "count").first?.int64(0)
        }
        #expect(tables == 0, "the reader created nothing")
    }
}
