import Foundation

/// Every parser that sees bytes from outside the service, one libFuzzer target each. The raw value
/// names the target on the command line (scripts/fuzz.sh) and its corpus directory, Fuzz/Corpus/<name>/.
enum FuzzTarget: String, CaseIterable, Sendable {
    case webhookSignature = "webhook-signature"
    case webhookPayload = "webhook-payload"
    case reply
    case platformToken = "platform-token"
    case calendlyWire = "calendly-wire"
    case requestBody = "request-body"

    /// Runs one input. A trap or a failed `check` is the finding; returning is a pass.
    func run(_ input: [UInt8]) {
        switch self {
        case .webhookSignature: WebhookSignatureTarget.run(input)
        case .webhookPayload: WebhookPayloadTarget.run(input)
        case .reply: ReplyTarget.run(input)
        case .platformToken: PlatformTokenTarget.run(input)
        case .calendlyWire: CalendlyWireTarget.run(input)
        case .requestBody: RequestBodyTarget.run(input)
        }
    }
}

/// A property a target asserts about the parser's answer. It traps in release builds too (unlike
/// `assert`), so libFuzzer records the input as a crash.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("property failed: \(message())", file: file, line: line) }
}

/// Splits an input at its first newline: the head (e.g. a header line) and the rest (e.g. a body).
func splitAtNewline(_ input: [UInt8]) -> (head: [UInt8], rest: [UInt8]) {
    guard let newline = input.firstIndex(of: 10) else { return (input, []) }
    return (Array(input[..<newline]), Array(input[(newline + 1)...]))
}
