import Foundation

#if FUZZING
/// Which target this libFuzzer process runs: scripts/fuzz.sh sets FUZZ_TARGET (one binary serves all
/// targets, so CI builds the instrumented modules once).
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(name)')")
    }
    return target
}()

/// libFuzzer's per-input callback (the binary is linked with -sanitize=fuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(input)
    return 0
}

/// libFuzzer's driver, for programs that keep their own `main` (SwiftPM links an executable's entry
/// as `<module>_main`, so libFuzzer's `main` cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct FuzzDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
    }
}
#else
/// Without -D FUZZING this is the corpus replayer: every committed corpus file goes through its
/// parser, so an input that once crashed stays a regression check in the ordinary test run
/// (Tests/Integration/FuzzCorpusReplayTests runs it).
///
///     Fuzz [corpus-root]          every target's directory under corpus-root (default Fuzz/Corpus)
///     Fuzz TARGET file-or-dir…    chosen inputs through one target
@main
struct FuzzReplay {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, let target = FuzzTarget(rawValue: first) {
            arguments.removeFirst()
            let count = arguments.reduce(0) { $0 + replay(target, at: URL(fileURLWithPath: $1)) }
            print("\(target.rawValue): \(count) inputs, no finding")
            return
        }
        let root = URL(fileURLWithPath: arguments.first ?? "Fuzz/Corpus", isDirectory: true)
        var missing: [String] = []
        for target in FuzzTarget.allCases {
            let directory = root.appendingPathComponent(target.rawValue, isDirectory: true)
            guard FileManager.default.fileExists(atPath: directory.path) else { missing.append(target.rawValue); continue }
            print("\(target.rawValue): \(replay(target, at: directory)) inputs, no finding")
        }
        if !missing.isEmpty {
            FileHandle.standardError.write(Data("no corpus for: \(missing.joined(separator: ", ")) under \(root.path)\n".utf8))
            exit(1)
        }
    }

    /// Runs a file, or every regular file below a directory (in name order, so a crash is repeatable).
    /// The path goes to stderr before the run: when the process dies, the last line names the input.
    static func replay(_ target: FuzzTarget, at url: URL) -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            FileHandle.standardError.write(Data("no such input: \(url.path)\n".utf8))
            exit(1)
        }
        guard isDirectory.boolValue else {
            FileHandle.standardError.write(Data("\(target.rawValue) \(url.path)\n".utf8))
            target.run((try? [UInt8](Data(contentsOf: url))) ?? [])
            return 1
        }
        let entries = (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
        return entries.sorted { $0.lastPathComponent < $1.lastPathComponent }.reduce(0) { $0 + replay(target, at: $1) }
    }
}
#endif
