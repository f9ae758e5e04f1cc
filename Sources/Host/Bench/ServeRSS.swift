import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `serve` as a real process (demo mode, its own emulator on a free port) over a data directory: its
/// resident memory once it has started (recovery, subscription check, reconciliation, retention) and
/// answered `/health` — what a deployment with that much stored data holds in memory when idle.
enum ServeRSS {
    struct Reading { var bytes: Int; var note: String? }

    /// The `calendly-action` executable beside the running one (the bench itself, or the test bundle's build folder).
    static func executable() -> String? {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("calendly-action").path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
    }

    static func measure(dataDirectory: String) async throws -> Reading {
        guard let executable = executable() else { return Reading(bytes: 0, note: "not measured: no calendly-action executable beside this one") }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", String(port), "--data-dir", dataDirectory, "--emulator-port", "0"]
        // Demo mode: no Calendly credentials; nothing else from this environment leaks into the child.
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                process.interrupt()
                process.waitUntilExit()
            }
        }
        let client = BenchHTTPClient(connections: 1)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        while clock.now < deadline {
            if let reply = try? await client.send("GET", "http://127.0.0.1:\(port)/health"), reply.status == 200 { break }
            guard process.isRunning else { return Reading(bytes: 0, note: "not measured: serve exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Let start-up work (retention, reconciliation) finish and the allocator settle.
        try await Task.sleep(for: .seconds(2))
        return Reading(bytes: residentBytes(pid: process.processIdentifier), note: nil)
    }

    /// VmRSS of a process from /proc (0 where unavailable).
    static func residentBytes(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes.multipliedReportingOverflow(by: 1024).overflow ? 0 : kilobytes * 1024
        }
        return 0
    }

    /// A loopback port nothing listens on right now (the kernel's pick for port 0).
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw BenchHTTPClient.Failure(description: "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
        #else
        return 18_080
        #endif
    }
}
