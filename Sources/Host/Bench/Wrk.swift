import Foundation

/// The load generator for the HTTP figures (issue 16): wrk, a separate C process on epoll, reaches tens of
/// thousands of requests a second here, so the ratios it yields measure the server rather than the client
/// (the in-process clients topped out near 2.7k–11k req/s and capped both routes alike).
struct Wrk: Sendable {
    let executable: String

    /// wrk on `PATH` (or `WRK` in the environment); nil when it is not installed.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Wrk? {
        if let explicit = environment["WRK"], FileManager.default.isExecutableFile(atPath: explicit) { return Wrk(executable: explicit) }
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/wrk"
            if FileManager.default.isExecutableFile(atPath: candidate) { return Wrk(executable: candidate) }
        }
        return nil
    }

    static let missing = "wrk not found: install it (apt-get install wrk); no HTTP load figure is measured without it"

    struct Run: Sendable {
        var url: String
        var connections: Int
        var threads = 2
        var seconds = 5
        /// A Lua script and the arguments after `--` it reads in `init`.
        var script: String?
        var scriptArguments: [String] = []
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs wrk to completion and parses what it printed.
    func run(_ run: Run) async throws -> WrkResult {
        var arguments = ["-t", String(max(1, min(run.threads, run.connections))), "-c", String(max(1, run.connections)),
                         "-d", "\(max(1, run.seconds))s", "--timeout", "10s", "--latency"]
        if let script = run.script { arguments += ["-s", script] }
        arguments.append(run.url)
        if !run.scriptArguments.isEmpty { arguments += ["--"] + run.scriptArguments }
        let output = try await Self.capture(executable, arguments)
        guard let result = WrkResult.parse(output) else {
            throw Failure(description: "could not read wrk's output: \(output.prefix(600))")
        }
        return result
    }

    /// Runs a process to its end and returns its standard output and error (through a temporary file, so
    /// nothing blocks a thread of the cooperative pool while it runs).
    static func capture(_ executable: String, _ arguments: [String]) async throws -> String {
        let outputPath = NSTemporaryDirectory() + "calendly-action-bench-\(UUID().uuidString).out"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil), let output = FileHandle(forWritingAtPath: outputPath) else {
            throw Failure(description: "cannot write \(outputPath)")
        }
        defer { try? output.close(); try? FileManager.default.removeItem(atPath: outputPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { process.terminationHandler = nil; continuation.resume() }
        }
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }
}

/// What wrk prints, parsed: completed requests, the rate, the latency distribution (`--latency`), and
/// the responses and socket errors that did not go well.
struct WrkResult: Sendable, Equatable {
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    /// Seconds, by percentile (50, 75, 90, 99).
    var latency: [Int: Double]
    var non2xx: Int
    var socketErrors: Int

    var p50: Double { latency[50] ?? 0 }
    var p99: Double { latency[99] ?? 0 }
    /// Responses that were 2xx/3xx.
    var succeeded: Int { max(0, requests - non2xx) }

    static func parse(_ text: String) -> WrkResult? {
        var requests: Int?, seconds: Double?, rate: Double?
        var latency: [Int: Double] = [:]
        var non2xx = 0, socketErrors = 0
        var inDistribution = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Latency Distribution") { inDistribution = true; continue }
            if inDistribution, words.count == 2, words[0].hasSuffix("%"), let percent = Double(words[0].dropLast()),
               let value = duration(String(words[1])) {
                latency[Int(percent.rounded())] = value
                continue
            }
            inDistribution = false
            if line.hasPrefix("Requests/sec:"), words.count >= 2 { rate = Double(words[1]) }
            // "388155 requests in 8.00s, 51.08MB read"
            if words.count >= 4, words[1] == "requests", words[2] == "in" {
                requests = Int(words[0])
                seconds = duration(String(words[3].trimmingCharacters(in: CharacterSet(charactersIn: ","))))
            }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let last = words.last { non2xx = Int(last) ?? 0 }
            // "Socket errors: connect 0, read 0, write 0, timeout 0"
            if line.hasPrefix("Socket errors:") {
                socketErrors = words.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0) { $0.addingReportingOverflow($1).partialValue }
            }
        }
        guard let requests, let rate else { return nil }
        return WrkResult(requests: requests, seconds: seconds ?? 0, requestsPerSecond: rate, latency: latency, non2xx: non2xx, socketErrors: socketErrors)
    }

    /// wrk's time format: a number with `us`, `ms`, `s`, `m` or `h`, in seconds.
    static func duration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite, number >= 0 else { return nil }
            return number * scale
        }
        return nil
    }
}
