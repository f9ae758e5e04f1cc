import ArgumentParser
import Effects
import Foundation
import Interpreters
import PostgresStore

/// `calendly-action journal …`: the per-conversation and per-agent journal `serve` keeps (SQLite or PostgreSQL).
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "journal", abstract: "Work with the journal of recorded core steps.",
                                                    subcommands: [JournalExportCommand.self])
}

/// `calendly-action journal export --conversation ID > incident.jsonl`: one conversation's (or agent's)
/// journal as the versioned JSON lines `replay` reads. Only reads the database: the SQLite file under
/// `--data-dir`, or with `DATABASE_URL` the PostgreSQL the hosts share.
struct JournalExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export one conversation's or agent's journal as JSON lines for `replay`.")

    @Option(help: "The conversation id (as the runtime API names it).") var conversation: String?
    @Option(help: "The agent id, to export its connection and action-config steps instead.") var agent: String?
    @Option(help: "The account the id belongs to; needed only when the id exists under several accounts.") var account: String?
    @Option(help: "Only steps at or after this time (ISO 8601, e.g. 2026-11-25T10:00:00Z).") var from: String?
    @Option(help: "Only steps at or before this time (ISO 8601).") var to: String?
    @Option(help: "Where `serve` keeps its data.") var dataDir = "./.calendly-action"

    enum Subject: Equatable { case conversation(String), agent(String) }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func validate() throws {
        guard (conversation == nil) != (agent == nil) else { throw ValidationError("pass exactly one of --conversation or --agent") }
        if let from, Instant(iso8601: from) == nil { throw ValidationError("--from must be an ISO 8601 UTC time such as 2026-11-25T10:00:00Z") }
        if let to, Instant(iso8601: to) == nil { throw ValidationError("--to must be an ISO 8601 UTC time such as 2026-11-25T10:00:00Z") }
    }

    func run() throws {
        let subject: Subject = conversation.map(Subject.conversation) ?? .agent(agent ?? "")
        do {
            // DATABASE_URL: the PostgreSQL the hosts share (read without migrating); else the SQLite file.
            let reader: any JournalReading = try HostConfiguration.databaseURL(ProcessInfo.processInfo.environment)
                .map { try PostgresJournalReader(url: $0) } ?? SQLiteJournalReader(path: dataDir + "/calendly-action.sqlite")
            let text = try Self.export(reader, subject: subject, account: account,
                                       from: from.flatMap(Instant.init(iso8601:)), to: to.flatMap(Instant.init(iso8601:)),
                                       exportedAt: LiveCalendly.wallClock())
            FileHandle.standardOutput.write(Data(text.utf8))
        } catch {
            FileHandle.standardError.write(Data("journal export: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The whole export as text (the command writes it to stdout only when nothing failed).
    static func export(databasePath: String, subject: Subject, account: String?, from: Instant?, to: Instant?,
                       exportedAt: Instant) throws -> String {
        try export(try SQLiteJournalReader(path: databasePath), subject: subject, account: account, from: from, to: to, exportedAt: exportedAt)
    }

    static func export(_ reader: any JournalReading, subject: Subject, account: String?, from: Instant?, to: Instant?,
                       exportedAt: Instant) throws -> String {
        let stream = try resolve(subject, account: account, reader)
        let records = try JournalExport.records(try reader.rows(stream: stream), from: from, to: to)
        return JournalExport.text(records, exportedAt: exportedAt)
    }

    /// The stream of the subject: "<kind>:<account>:<id>" with --account; without it the id as given,
    /// else the one account that has it.
    static func resolve(_ subject: Subject, account: String?, _ reader: any JournalReading) throws -> String {
        let (prefix, id, noun): (String, String, String)
        switch subject {
        case .conversation(let raw): (prefix, id, noun) = ("conversation:", raw, "conversation")
        case .agent(let raw): (prefix, id, noun) = ("agent:", raw, "agent")
        }
        if let account {
            let stream = prefix + account + ":" + id
            guard try !reader.rows(stream: stream).isEmpty else { throw Failure(description: "no journal for \(noun) \(id) in account \(account)") }
            return stream
        }
        if try !reader.rows(stream: prefix + id).isEmpty { return prefix + id }
        let candidates = try reader.streams(prefix: prefix, endingWith: id)
        guard let only = candidates.first else { throw Failure(description: "no journal for \(noun) \(id) (unknown id, or older than the 90-day retention)") }
        guard candidates.count == 1 else {
            let accounts = candidates.map { String($0.dropFirst(prefix.count).dropLast(id.count + 1)) }
            throw Failure(description: "\(noun) \(id) exists in several accounts (\(accounts.joined(separator: ", "))); pass --account")
        }
        return only
    }
}
