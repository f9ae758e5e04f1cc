import Crypto
import Foundation
import Testing
@testable import Interpreters

/// Issue 10 item 5: journal email placeholders are an HMAC under the deployment's key, so a shared journal
/// cannot be matched against a dictionary of addresses without that key. (The process-wide key is never
/// changed here: other tests redact in parallel.)
@Suite struct KeyedRedactionTests {
    static let keyA = SymmetricKey(data: Array("deployment-a-redaction-key".utf8))
    static let keyB = SymmetricKey(data: Array("deployment-b-redaction-key".utf8))

    @Test func thePlaceholderIsAKeyedHashOfTheLowercasedAddress() {
        let a = Redaction.redactToken("Dee.Customer@Example.com", key: Self.keyA)
        #expect(a == Redaction.redactToken("dee.customer@example.com", key: Self.keyA), "case-insensitive")
        #expect(a != Redaction.redactToken("Dee.Customer@Example.com", key: Self.keyB), "another key, another placeholder")
        #expect(a != Redaction.redactToken("Dee.Customer@Example.com", key: Redaction.publicKey))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("dee.customer@example.com".utf8), using: Self.keyA)
        let hex = Array(mac).map { String(format: "%02x", $0) }.joined()
        #expect(a == "r-" + String(hex.prefix(16)) + "@example.invalid")
    }

    @Test func placeholdersStayAsTheyAreSoReplaysMatch() {
        let placeholder = Redaction.redactToken("ana@example.com", key: Self.keyA)
        #expect(Redaction.redactToken(placeholder, key: Self.keyB) == placeholder)
        #expect(Redaction.redactEmails(#"{"email":"\#(placeholder)"}"#) == #"{"email":"\#(placeholder)"}"#)
        #expect(!Redaction.redactEmails(#"{"email":"ana@example.com"}"#).contains("ana@"))
    }
}
