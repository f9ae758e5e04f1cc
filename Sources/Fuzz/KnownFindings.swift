import Effects
import Foundation

/// Findings reported to their owners and being fixed elsewhere. scripts/fuzz.sh sets the switch only
/// while the committed reproducer (Fuzz/Known/) still crashes, so the fuzzer can look past a known bug;
/// once the fix is merged the switch stays off and the fuzzer hits those inputs like any others.
enum KnownFindings {
    /// issue 10 item 1: `now - t` / `abs(age) * 1000` in WebhookSignature.verify trap for extreme `t`.
    static let skipSignatureOverflow = ProcessInfo.processInfo.environment["FUZZ_SKIP_KNOWN"]?.split(separator: ",").contains("signature-overflow") ?? false

    /// The `t=` values of a signature header, read the way the verifier reads them (split on `,`, then
    /// on the first `=`, trimmed) — kept independent of its code so its fix cannot blind this check.
    static func timestamps(in header: String) -> [Int64] {
        header.split(separator: ",").compactMap { part in
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespacesAndNewlines) == "t" else { return nil }
            return Int64(pair[1].trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Whether the unfixed age arithmetic would overflow for this timestamp at the target's clock.
    static func overflowsSignatureAge(_ timestamp: Int64) -> Bool {
        let (age, overflow) = WebhookSignatureTarget.now.secondsSince1970.subtractingReportingOverflow(timestamp)
        guard !overflow, age != .min else { return true }
        return abs(age).multipliedReportingOverflow(by: 1000).overflow
    }
}
