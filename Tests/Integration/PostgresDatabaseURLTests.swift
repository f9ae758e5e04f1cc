import Foundation
import PostgresStore
import Testing

/// `DATABASE_URL` parsing: the accepted shapes, the refused ones, and a password that never shows.
@Suite struct PostgresDatabaseURLTests {
    @Test func parsesTheUsualShapes() throws {
        #expect(try DatabaseURL(parsing: "postgres://app:s3cret@db.internal:6543/calendly?sslmode=require")
            == DatabaseURL(user: "app", password: "s3cret", host: "db.internal", port: 6543, database: "calendly", sslMode: .require))
        #expect(try DatabaseURL(parsing: "postgresql://app@localhost/calendly")
            == DatabaseURL(user: "app", password: nil, host: "localhost", port: 5432, database: "calendly", sslMode: .disable))
        #expect(try DatabaseURL(parsing: "postgres://calendly@127.0.0.1:54385/calendly?sslmode=disable").port == 54385)
        #expect(try DatabaseURL(parsing: "postgres://u:p@[::1]:5433/d").host == "::1")
        #expect(try DatabaseURL(parsing: "postgres://u:p@[::1]/d").port == 5432)
        // Escapes, and an unescaped '@' or ':' inside the password.
        #expect(try DatabaseURL(parsing: "postgres://u%40x:p%2Fw%3F@h/d").user == "u@x")
        #expect(try DatabaseURL(parsing: "postgres://u%40x:p%2Fw%3F@h/d").password == "p/w?")
        #expect(try DatabaseURL(parsing: "postgres://u:p@ss:w@h:1/d").password == "p@ss:w")
        #expect(try DatabaseURL(parsing: "postgres://u:@h/d").password == "")
    }

    @Test func refusesWhatItCannotUse() {
        let cases: [(String, DatabaseURL.ParseError)] = [
            ("mysql://u:p@h/d", .scheme), ("", .scheme), ("postgres://", .missingDatabase), ("postgres://h/d", .missingUser),
            ("postgres://:p@h/d", .missingUser), ("postgres://u:p@/d", .missingHost), ("postgres://u:p@h:0/d", .port),
            ("postgres://u:p@h:65536/d", .port), ("postgres://u:p@h:-1/d", .port), ("postgres://u:p@h: 5/d", .port),
            ("postgres://u:p@h:99999999999999999999999/d", .port), ("postgres://u:p@h:5432/", .missingDatabase),
            ("postgres://u:p@h/d?sslmode=verify-full", .sslMode), ("postgres://u:p@h/d?connect_timeout=3", .unknownOption("connect_timeout")),
            ("postgres://u%zz:p@h/d", .badEscape), ("postgres://u:p@[::1/d", .missingHost), ("postgres://u:p@[::1]x/d", .port),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text)") { try DatabaseURL(parsing: text) }
        }
    }

    @Test func neitherTheDescriptionNorAnErrorShowsThePassword() {
        let url = try? DatabaseURL(parsing: "postgres://app:hunter2-secret@db:5432/calendly")
        #expect(url?.description == "postgres://app:***@db:5432/calendly?sslmode=disable")
        do { _ = try DatabaseURL(parsing: "postgres://app:hunter2-secret@db:5432/calendly?sslmode=maybe") } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// Random text around the URL's delimiters (controls, non-ASCII, stray escapes, up to 100k characters)
    /// parses or is refused; nothing traps, and a refusal never quotes the text. The seed is printed in
    /// every failure message (`PG_URL_SEED=N` replays it).
    @Test func arbitraryTextNeverTrapsNorLeaks() {
        let seed = UInt64(ProcessInfo.processInfo.environment["PG_URL_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        var rng = DifferentialScript.SplitMix(state: seed)
        let alphabet: [String] = "%@:/?&=[]0123456789abcXYZ \u{0}\u{7F}é🙂\u{FFFD}".map(String.init) + ["%2", "%zz", "%FF", "%00", "%C3%A9"]
        for round in 0..<400 {
            let length = round == 0 ? 100_000 : rng.int(60)
            let text = (0..<length).map { _ in rng.pick(alphabet) }.joined()
            do { _ = try DatabaseURL(parsing: "postgres://" + text) } catch {
                if text.count > 45 { #expect(!error.description.contains(text), "seed \(seed) round \(round)") }
            }
        }
        _ = try? DatabaseURL(parsing: "postgres://u:" + String(repeating: "p", count: 100_000) + "@h/d")
        #expect(throws: DatabaseURL.ParseError.port) { try DatabaseURL(parsing: "postgres://u:p@h:" + String(repeating: "9", count: 100_000) + "/d") }
    }
}
