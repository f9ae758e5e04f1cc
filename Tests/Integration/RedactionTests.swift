import Foundation
import Testing
@testable import Interpreters

/// The byte scanner `Redaction` uses for ASCII text redacts exactly as the per-Character scan does.
@Suite struct RedactionTests {
    @Test func theASCIIScanAgreesWithTheCharacterScan() {
        // Text built from the characters that matter: address parts, separators, JSON punctuation.
        let alphabet = Array("ab.Z9@_+-\" :,{}\n\r\t/x.com@example.invalid r-")
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(seed >> 33)
        }
        for round in 0..<2000 {
            let text = String((0..<(next() % 80)).map { _ in alphabet[next() % alphabet.count] })
            #expect(Redaction.redactASCII(text) == Redaction.redactCharacters(text), "round \(round): \(text.debugDescription)")
        }
        let sample = #"{"email":"Dee.Customer@Example.COM","note":"write to a@b.co or r-0123456789@example.invalid"}"#
        #expect(Redaction.redactEmails(sample) == Redaction.redactCharacters(sample))
        #expect(!Redaction.redactEmails(sample).contains("Dee.Customer"))
        #expect(Redaction.redactEmails("Checking available times… ana@example.com") == Redaction.redactCharacters("Checking available times… ana@example.com"))
    }
}
