import Foundation
import PropertyBased
import Testing
@testable import Interpreters

/// What the curl client refuses to hand to libcurl, and the numbers it derives, over arbitrary input:
/// strings cross into C NUL-terminated, so a NUL would silently cut a URL or header short, and CR/LF
/// in a header value would let it smuggle headers of its own.
@Suite struct HTTPRequestProperties {
    /// Bytes biased towards the ones that matter (NUL, CR, LF, ':', space, DEL, non-ASCII).
    static let specials: [UInt8] = [0, 9, 10, 13, 32, 58, 127, 128, 255]
    static let bytes = Gen.int(in: 0...8).map { Self.specials[$0] }.array(of: 0...8)
    static let text = Gen.uint8(in: 32...126).array(of: 0...40)

    static func string(_ plain: [UInt8], _ special: [UInt8]) -> String {
        // Invalid UTF-8 becomes U+FFFD, exactly as any String built from outside bytes would.
        String(decoding: plain + special + plain, as: UTF8.self)
    }

    @Test func aHeaderValueIsSentOnlyWithoutNulCrOrLf() async {
        await propertyCheck(count: 500, input: Self.text, Self.bytes) { plain, special in
            let value = Self.string(plain, special)
            let request = HTTPRequest("POST", "https://api.calendly.com/x", headers: [("X-Probe", value)])
            let forbidden = value.utf8.contains { $0 == 0 || $0 == 10 || $0 == 13 }
            #expect(request.isWellFormed == !forbidden, "value \(Array(value.utf8))")
        }
    }

    @Test func aURLIsSentOnlyWithoutControlsOrSpaces() async {
        await propertyCheck(count: 500, input: Self.text, Self.bytes) { plain, special in
            let path = Self.string(plain, special)
            let request = HTTPRequest("GET", "http://127.0.0.1:1/" + path)
            let forbidden = path.utf8.contains { $0 <= 0x20 || $0 == 0x7F }
            #expect(request.isWellFormed == !forbidden, "path \(Array(path.utf8))")
        }
    }

    @Test func theTimeoutIsAtLeastOneMillisecondAndNeverTraps() async {
        let extremes: [Int64] = [Int64.min, -1, 0, 1, 59, 86_400, Int64(Int32.max), Int64.max - 1, Int64.max]
        let seconds = Gen.int(in: 0...8).map { extremes[$0] }
        await propertyCheck(count: 200, input: seconds, Gen.int64(in: 0...999_999_999_999_999_999)) { whole, attoseconds in
            let request = HTTPRequest("GET", "http://127.0.0.1/", timeout: Duration(secondsComponent: whole, attosecondsComponent: attoseconds))
            let milliseconds = request.timeoutMilliseconds
            #expect(milliseconds >= 1 && milliseconds <= Int(Int32.max))
            if whole >= 0, whole < 1_000_000 {
                #expect(milliseconds == max(1, Int(whole) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
            }
        }
    }

    @Test func headerLinesOfAnyBytesParseWithoutTrappingAndKeepWellFormedOnes() async {
        await propertyCheck(count: 300, input: Self.text, Self.bytes) { plain, special in
            let transfer = CurlTransfer(HTTPRequest("GET", "http://127.0.0.1/"))
            let raw = plain + special + Array(": ".utf8) + plain + special + [13, 10]
            raw.withUnsafeBytes { transfer.appendHeader($0) }
            Array("X-Rate: 7\r\n".utf8).withUnsafeBytes { transfer.appendHeader($0) }
            #expect(transfer.headers["x-rate"] == "7")
            // A status line starts a new block (an interim 1xx reply's headers are not the reply's).
            Array("HTTP/1.1 200 OK\r\n".utf8).withUnsafeBytes { transfer.appendHeader($0) }
            #expect(transfer.headers.isEmpty)
        }
        // A 100k-character header value arrives whole.
        let transfer = CurlTransfer(HTTPRequest("GET", "http://127.0.0.1/"))
        let long = String(repeating: "v", count: 100_000)
        Array("Retry-After: \(long)\r\n".utf8).withUnsafeBytes { transfer.appendHeader($0) }
        #expect(transfer.headers["retry-after"] == long)
    }
}
