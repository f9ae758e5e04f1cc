import ArgumentParser
import Foundation

/// `calendly-action bench [--quick]`: every measurement of issue 5 in one process, side by side —
/// a table for people and one JSON line for machines.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure the core, simulator, runtime turn, webhook ingest, memory, replay and SQLite.")

    @Flag(help: "Small counts (under a minute on two cores).") var quick = false
    @Option(help: "Latency of each Calendly call in the second turn run, in ms (the simulator models 20–200 ms; 0 skips that run).")
    var calendlyLatencyMs = 100

    func run() async throws {
        var sizes = quick ? BenchSizes.quick : BenchSizes.full
        sizes.calendlyLatencyMs = calendlyLatencyMs
        let report = try await Bench.run(sizes) { line in FileHandle.standardError.write(Data("bench: \(line)\n".utf8)) }
        print(report.table, terminator: "")
        print(report.jsonLine)
    }
}

struct BenchSizes: Sendable {
    var name: String
    var reducerConversations: Int
    var simulatedConversations: Int
    var turnConversations: Int
    var webhookRequests: Int
    var concurrency: Int
    var idleStates: Int
    var replayConversations: Int
    var sqliteWrites: Int
    /// Turns run again with this latency on every Calendly call (0: not run).
    var latencyTurnConversations: Int
    var calendlyLatencyMs = 100

    static let quick = BenchSizes(name: "quick", reducerConversations: 20_000, simulatedConversations: 10_000, turnConversations: 100,
                                  webhookRequests: 2_000, concurrency: 8, idleStates: 5_000, replayConversations: 300, sqliteWrites: 500,
                                  latencyTurnConversations: 30)
    static let full = BenchSizes(name: "full", reducerConversations: 200_000, simulatedConversations: 100_000, turnConversations: 200,
                                 webhookRequests: 5_000, concurrency: 8, idleStates: 20_000, replayConversations: 2_000, sqliteWrites: 2_000,
                                 latencyTurnConversations: 100)
    /// For the test that checks every row is printed.
    static let tiny = BenchSizes(name: "tiny", reducerConversations: 10, simulatedConversations: 20, turnConversations: 2,
                                 webhookRequests: 10, concurrency: 2, idleStates: 10, replayConversations: 3, sqliteWrites: 5,
                                 latencyTurnConversations: 1, calendlyLatencyMs: 5)
}

struct BenchReport: Sendable {
    var mode: String
    var rows: [BenchRow]

    var table: String {
        let header = ["measurement", "value", "unit", "goal", "detail"]
        let body = rows.map { row -> [String] in
            let goal = row.goal.map { "\($0.text) \($0.met(by: row.value) ? "✓" : "✗")" } ?? "–"
            return [row.name, BenchRow.format(row.value), row.unit, goal, row.detail]
        }
        let widths = (0..<4).map { column in ([header] + body).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<4).map { cells[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + cells[4]
        }
        return ([line(header)] + body.map(line)).joined(separator: "\n") + "\n"
    }

    var jsonLine: String {
        var object: [String: Any] = ["bench": "calendly-action", "mode": mode]
        for row in rows { object[row.key] = (row.value * 1000).rounded() / 1000 }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

enum Bench {
    /// Runs every measurement in order; `progress` hears which one is running.
    static func run(_ sizes: BenchSizes, progress: (String) -> Void = { _ in }) async throws -> BenchReport {
        let directory = NSTemporaryDirectory() + "calendly-action-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rows: [BenchRow] = []
        progress("core reducer")
        rows.append(CoreReducerBench.run(conversations: sizes.reducerConversations))
        progress("simulator")
        rows.append(SimulatorBench.run(conversations: sizes.simulatedConversations))

        progress("host over HTTP (SQLite + LiveCalendly + emulator)")
        let host = try await BenchHost.start(directory: directory)
        let client = BenchHTTPClient(connections: sizes.concurrency)
        do {
            try await host.connectAndConfigure(client)
            progress("runtime turns")
            rows += try await TurnRatioBench.run(host: host, client: client, conversations: sizes.turnConversations)
            if sizes.calendlyLatencyMs > 0, sizes.latencyTurnConversations > 0 {
                progress("runtime turns with \(sizes.calendlyLatencyMs) ms Calendly latency")
                rows += try await TurnRatioBench.run(host: host, client: client, conversations: sizes.latencyTurnConversations,
                                                     calendlyLatencyMs: sizes.calendlyLatencyMs)
            }
            progress("webhook ingest")
            rows += try await WebhookIngestBench.run(host: host, client: client, requests: sizes.webhookRequests, concurrency: sizes.concurrency)
            progress("HTTP client")
            rows += try await HTTPClientBench.run(host: host, requests: sizes.webhookRequests)
        } catch {
            await host.stop()
            throw error
        }
        await host.stop()

        progress("idle conversation memory")
        rows += IdleMemoryBench.run(states: sizes.idleStates)
        progress("replay")
        rows.append(try await ReplayBench.run(conversations: sizes.replayConversations))
        progress("SQLite writes")
        rows += try SQLiteWriteBench.run(writes: sizes.sqliteWrites, directory: directory)
        return BenchReport(mode: sizes.name, rows: rows)
    }
}
