import ArgumentParser
import Foundation

/// `calendly-action bench [--quick]`: every measurement of issue 5 in one process, side by side —
/// a table for people and one JSON line for machines.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure the core, simulator, runtime turns, webhook ingest and offers under load (wrk), scaling, memory, replay and SQLite.")

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
    var concurrency: Int
    var idleStates: Int
    var replayConversations: Int
    var sqliteWrites: Int
    /// Turns run again with this latency on every Calendly call (0: not run).
    var latencyTurnConversations: Int
    var calendlyLatencyMs = 100
    /// wrk: seconds per run, connection counts for webhook ingest and for offers under load.
    var wrkSeconds: Int
    var webhookConnections: [Int]
    var offerConnections: [Int]
    /// Signed deliveries prepared per second of a webhook run (more than ingest can take, so none repeats).
    var deliveriesPerSecond = 25_000
    /// Conversations (each with a booking reference) stored before the scaling turns, and turns per size.
    var scaleSizes: [Int]
    var scaleTurnConversations: Int
    /// Idle conversations under `serve` for its resident memory, and for the retention figure.
    var idleServeConversations: Int
    /// Requests for the outgoing client's own rate (`HTTPClientBench`).
    var clientRequests: Int

    static let quick = BenchSizes(name: "quick", reducerConversations: 20_000, simulatedConversations: 10_000, turnConversations: 100,
                                  concurrency: 8, idleStates: 5_000, replayConversations: 300, sqliteWrites: 500, latencyTurnConversations: 20,
                                  wrkSeconds: 1, webhookConnections: [1, 32, 256], offerConnections: [16, 64],
                                  scaleSizes: [1_000, 10_000], scaleTurnConversations: 40, idleServeConversations: 10_000, clientRequests: 1_000)
    static let full = BenchSizes(name: "full", reducerConversations: 200_000, simulatedConversations: 100_000, turnConversations: 200,
                                 concurrency: 8, idleStates: 20_000, replayConversations: 2_000, sqliteWrites: 2_000, latencyTurnConversations: 100,
                                 wrkSeconds: 5, webhookConnections: [1, 32, 256], offerConnections: [16, 64],
                                 scaleSizes: [1_000, 100_000, 1_000_000], scaleTurnConversations: 150, idleServeConversations: 100_000, clientRequests: 5_000)
    /// For the test that checks every row is printed.
    static let tiny = BenchSizes(name: "tiny", reducerConversations: 10, simulatedConversations: 20, turnConversations: 2,
                                 concurrency: 2, idleStates: 10, replayConversations: 3, sqliteWrites: 5, latencyTurnConversations: 1, calendlyLatencyMs: 5,
                                 wrkSeconds: 1, webhookConnections: [2], offerConnections: [2], deliveriesPerSecond: 2_000,
                                 scaleSizes: [10, 50], scaleTurnConversations: 1, idleServeConversations: 20, clientRequests: 10)
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
    static func run(_ sizes: BenchSizes, wrk: Wrk? = Wrk.locate(), progress: (String) -> Void = { _ in }) async throws -> BenchReport {
        let directory = NSTemporaryDirectory() + "calendly-action-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if wrk == nil { progress(Wrk.missing) }
        var rows: [BenchRow] = []
        progress("core reducer")
        rows.append(CoreReducerBench.run(conversations: sizes.reducerConversations))
        progress("simulator")
        rows.append(SimulatorBench.run(conversations: sizes.simulatedConversations))

        progress("host over HTTP (SQLite + LiveCalendly + emulator)")
        let host = try await BenchHost.start(directory: directory + "/host")
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
            progress("webhook ingest (wrk)")
            rows += try await WebhookIngestBench.run(host: host, wrk: wrk, connections: sizes.webhookConnections, seconds: sizes.wrkSeconds,
                                                     deliveriesPerSecond: sizes.deliveriesPerSecond, directory: directory)
            progress("offers under load (wrk)")
            rows += try await OffersUnderLoadBench.run(host: host, wrk: wrk, connections: sizes.offerConnections, seconds: sizes.wrkSeconds, directory: directory)
            progress("HTTP client")
            rows += try await HTTPClientBench.run(host: host, requests: sizes.clientRequests)
        } catch {
            await host.stop()
            throw error
        }
        await host.stop()

        let scaling = try await ScalingBench.run(sizes: sizes.scaleSizes, turns: sizes.scaleTurnConversations, directory: directory, progress: progress)
        rows += scaling.rows
        rows += try await ScalingBench.idleServeAndRetention(conversations: sizes.idleServeConversations, journalTemplate: scaling.journalTemplate,
                                                             directory: directory, progress: progress)

        progress("idle conversation memory")
        rows += IdleMemoryBench.run(states: sizes.idleStates)
        progress("replay")
        rows.append(try await ReplayBench.run(conversations: sizes.replayConversations))
        progress("SQLite writes")
        rows += try SQLiteWriteBench.run(writes: sizes.sqliteWrites, directory: directory)
        return BenchReport(mode: sizes.name, rows: rows)
    }
}
