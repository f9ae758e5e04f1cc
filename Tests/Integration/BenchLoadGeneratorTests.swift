import Core
import Effects
import Foundation
import Interpreters
import Testing
@testable import Host

/// The pieces `bench` drives wrk with: the parser of wrk's output, and the prepared file of signed
/// webhook deliveries (which the real server must accept: each signature verifies, each delivery differs).
@Suite struct BenchLoadGeneratorTests {
    static let sample = """
    Running 8s test @ http://127.0.0.1:8080/v1/webhooks/calendly
      2 threads and 32 connections
      Thread Stats   Avg      Stdev     Max   +/- Stdev
        Latency     5.61ms    2.10ms  41.20ms   80.12%
        Req/Sec     2.83k   211.53     3.20k    71.88%
      Latency Distribution
         50%    5.20ms
         75%  640.00us
         90%    1.02s
         99%   14.01ms
      45123 requests in 8.01s, 7.05MB read
      Non-2xx or 3xx responses: 17
      Socket errors: connect 0, read 2, write 0, timeout 3
    Requests/sec:   5633.41
    Transfer/sec:      0.88MB

    """

    @Test func parsesRateLatencyAndFailures() throws {
        let result = try #require(WrkResult.parse(Self.sample))
        #expect(result.requests == 45_123)
        #expect(abs(result.seconds - 8.01) < 1e-9)
        #expect(abs(result.requestsPerSecond - 5633.41) < 1e-9)
        #expect(abs(result.p50 - 0.0052) < 1e-12)
        #expect(abs((result.latency[75] ?? 0) - 0.00064) < 1e-12)
        #expect(abs((result.latency[90] ?? 0) - 1.02) < 1e-12)
        #expect(abs(result.p99 - 0.01401) < 1e-12)
        #expect(result.non2xx == 17)
        #expect(result.socketErrors == 5)
        #expect(result.succeeded == 45_106)
        // The Thread Stats "Latency" line is not the distribution.
        #expect(result.latency.count == 4)
    }

    @Test func cleanRunHasNoFailures() throws {
        let text = Self.sample.split(separator: "\n").filter { !$0.contains("Non-2xx") && !$0.contains("Socket errors") }.joined(separator: "\n")
        let result = try #require(WrkResult.parse(text))
        #expect(result.non2xx == 0 && result.socketErrors == 0 && result.succeeded == result.requests)
    }

    @Test func refusesWhatIsNotWrkOutput() {
        #expect(WrkResult.parse("") == nil)
        #expect(WrkResult.parse("unable to connect to 127.0.0.1:1 Connection refused") == nil)
        #expect(WrkResult.parse("  12 requests in 1.00s, 1KB read\n") == nil, "no Requests/sec line")
        #expect(WrkResult.parse(String(repeating: "Requests/sec: x\n", count: 10_000)) == nil)
    }

    @Test func durations() throws {
        func seconds(_ text: String) throws -> Double { try #require(WrkResult.duration(text)) }
        #expect(abs(try seconds("250.00us") - 0.00025) < 1e-15)
        #expect(abs(try seconds("3.00ms") - 0.003) < 1e-15)
        #expect(try seconds("2.00s") == 2)
        #expect(try seconds("1.50m") == 90)
        #expect(try seconds("1h") == 3600)
        for bad in ["ms", "-1.00ms", "nanms", "infs", "12", "", "1.0 ms"] { #expect(WrkResult.duration(bad) == nil, "\(bad)") }
    }

    @Test func signedFileLinesVerifyAndAreUnique() throws {
        let key = Array("bench-test-signing-key".utf8)
        let at = Instant(iso8601: "2026-12-01T00:00:00Z")!
        let text = SignedWebhookFile.lines(count: 500, prefix: "T", eventType: "http://127.0.0.1:1/event_types/ET-INTRO", key: key, at: at)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 500)
        let verifier = WebhookSignature(key: key, hmac: CryptoHMAC.sha256)
        var deliveries: Set<String> = []
        for line in lines {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(parts.count == 2, "one tab per line")
            let header = String(parts[0]), body = Array(parts[1].utf8)
            #expect(verifier.verify(header: header, body: body, now: at) == nil)
            #expect(verifier.verify(header: header, body: body, now: at + .minutes(4)) == .staleTimestamp)
            // The body is what the server reads as a new invitee.created (a different delivery each line).
            guard case .success(.invitee(let notice)) = WebhookPayload.parse(body) else {
                Issue.record("not an invitee notice: \(line.prefix(80))")
                continue
            }
            #expect(notice.kind == .created)
            deliveries.insert(notice.delivery.rawValue)
        }
        #expect(deliveries.count == 500)
        // A different key does not verify.
        let other = WebhookSignature(key: Array("other".utf8), hmac: CryptoHMAC.sha256)
        let first = lines[0].split(separator: "\t")
        #expect(other.verify(header: String(first[0]), body: Array(first[1].utf8), now: at) == .mismatch)
    }
}
