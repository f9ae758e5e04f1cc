import Core
import Crypto
import Effects
import Foundation
import Testing
@testable import Interpreters

/// AES-GCM token vault (round trip, tampering, wrong key, rotation, configuration errors) and the
/// SQLite token keeper (no plaintext at rest, atomic replace, disconnect deletes, verifiers).
@Suite struct TokenVaultTests {
    static let key1 = SymmetricKey(size: .bits256)
    static let key2 = SymmetricKey(size: .bits256)

    static func base64(_ key: SymmetricKey) -> String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    static func tokens(_ suffix: String = UUID().uuidString) -> CalendlyTokens {
        CalendlyTokens(accessToken: "eyJ-access-\(suffix)", refreshToken: "refresh-\(suffix)", expiresAt: Instant(iso8601: "2026-11-25T04:00:00Z")!,
                       owner: "https://api.calendly.com/users/HOST", organization: "https://api.calendly.com/organizations/ORG",
                       scopes: Connection.requiredScopes)
    }

    // MARK: - Vault

    @Test func sealsAndOpensAnyBytes() throws {
        let vault = try TokenVault(key: Self.key1)
        for plaintext in [Data(), Data("hello".utf8), Data((0..<4096).map { UInt8($0 % 251) })] {
            let sealed = try vault.seal(plaintext)
            #expect(try vault.open(sealed) == plaintext)
            #expect(sealed.first == TokenVault.formatVersion)
            #expect(try TokenVault.keyID(of: sealed) == "k1")
            #expect(sealed.count == 1 + 1 + 2 + 12 + plaintext.count + 16)
        }
        // A fresh nonce each time: the same plaintext never seals to the same bytes.
        #expect(try vault.seal(Data("same".utf8)) != vault.seal(Data("same".utf8)))
    }

    @Test func anyChangedByteIsDetected() throws {
        let vault = try TokenVault(key: Self.key1)
        let sealed = try vault.seal(Data("refresh-token-value".utf8), context: Data("token:r1".utf8))
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: TokenVaultError.self) { try vault.open(tampered, context: Data("token:r1".utf8)) }
        }
        // Specific verdicts for the interesting places.
        var body = sealed
        body[body.count - 20] ^= 0x80
        #expect(throws: TokenVaultError.authenticationFailed) { try vault.open(body, context: Data("token:r1".utf8)) }
        var version = sealed
        version[0] = 9
        #expect(throws: TokenVaultError.unsupportedFormat(version: 9)) { try vault.open(version) }
        #expect(throws: TokenVaultError.malformedCiphertext) { try vault.open(sealed.prefix(20)) }
        #expect(throws: TokenVaultError.malformedCiphertext) { try vault.open(Data()) }
        // Bound to its context: the ciphertext of one row does not open as another's.
        #expect(throws: TokenVaultError.authenticationFailed) { try vault.open(sealed, context: Data("token:r2".utf8)) }
    }

    @Test func theWrongKeyCannotOpen() throws {
        let sealed = try TokenVault(key: Self.key1).seal(Data("secret".utf8))
        #expect(throws: TokenVaultError.authenticationFailed) { try TokenVault(key: Self.key2).open(sealed) }
        #expect(throws: TokenVaultError.unknownKeyID("k1")) { try TokenVault(key: Self.key2, id: "k2").open(sealed) }
    }

    @Test func rotationKeepsOldCiphertextsReadable() throws {
        let before = try TokenVault(key: Self.key1, id: "k1")
        let old = try before.seal(Data("old".utf8))
        let after = try TokenVault.fromEnvironment([
            "TOKEN_ENCRYPTION_KEY": Self.base64(Self.key2), "TOKEN_ENCRYPTION_KEY_ID": "k2", "TOKEN_ENCRYPTION_OLD_KEYS": "k1:\(Self.base64(Self.key1))",
        ])
        #expect(after.currentKeyID == "k2" && after.keyIDs == ["k1", "k2"])
        let new = try after.seal(Data("new".utf8))
        #expect(try TokenVault.keyID(of: new) == "k2")
        #expect(try after.open(old) == Data("old".utf8))
        #expect(try after.open(new) == Data("new".utf8))
        #expect(try before.rotated(to: "k2", key: Self.key2).open(new) == Data("new".utf8))
        #expect(throws: TokenVaultError.unknownKeyID("k2")) { try before.open(new) }
        #expect(throws: TokenVaultError.duplicateKeyID(source: "rotation")) { try after.rotated(to: "k1", key: Self.key1) }
    }

    /// Each bad configuration has its own error, and no error or description repeats what was configured.
    @Test func badEnvironmentValuesGiveDistinctErrorsThatNeverEchoTheValue() throws {
        let good = Self.base64(Self.key1)
        let short = Data(repeating: 0xAB, count: 16).base64EncodedString()
        let notBase64 = "this-is-not-base64-%%%-\(UUID().uuidString)"
        let cases: [([String: String], TokenVaultError)] = [
            ([:], .missingKey),
            (["TOKEN_ENCRYPTION_KEY": "  "], .missingKey),
            (["TOKEN_ENCRYPTION_KEY": notBase64], .keyNotBase64(source: "TOKEN_ENCRYPTION_KEY")),
            (["TOKEN_ENCRYPTION_KEY": short], .keyWrongLength(source: "TOKEN_ENCRYPTION_KEY", byteCount: 16)),
            (["TOKEN_ENCRYPTION_KEY": good, "TOKEN_ENCRYPTION_KEY_ID": "has space"], .invalidKeyID(source: "TOKEN_ENCRYPTION_KEY_ID")),
            (["TOKEN_ENCRYPTION_KEY": good, "TOKEN_ENCRYPTION_OLD_KEYS": good], .malformedOldKeyEntry(source: "TOKEN_ENCRYPTION_OLD_KEYS entry 1")),
            (["TOKEN_ENCRYPTION_KEY": good, "TOKEN_ENCRYPTION_OLD_KEYS": "k0:\(notBase64)"], .keyNotBase64(source: "TOKEN_ENCRYPTION_OLD_KEYS entry 1")),
            (["TOKEN_ENCRYPTION_KEY": good, "TOKEN_ENCRYPTION_OLD_KEYS": "k0:\(Self.base64(Self.key2)),k9:\(short)"],
             .keyWrongLength(source: "TOKEN_ENCRYPTION_OLD_KEYS entry 2", byteCount: 16)),
            (["TOKEN_ENCRYPTION_KEY": good, "TOKEN_ENCRYPTION_OLD_KEYS": "k1:\(Self.base64(Self.key2))"], .duplicateKeyID(source: "TOKEN_ENCRYPTION_OLD_KEYS entry 1")),
        ]
        var descriptions: Set<String> = []
        for (environment, expected) in cases {
            #expect(throws: expected) { try TokenVault.fromEnvironment(environment) }
            let text = "\(expected) \(String(reflecting: expected))"
            for value in environment.values where value.trimmingCharacters(in: .whitespaces).count > 3 {
                #expect(!text.contains(value), "error text echoes a configured value")
            }
            for secret in [good, short, notBase64, Self.base64(Self.key2)] { #expect(!text.contains(secret)) }
            descriptions.insert(expected.description)
        }
        #expect(descriptions.count >= 7)
        // A good configuration: default id, whitespace tolerated, trailing comma ignored.
        let vault = try TokenVault.fromEnvironment(["TOKEN_ENCRYPTION_KEY": " \(good)\n", "TOKEN_ENCRYPTION_OLD_KEYS": "k0:\(Self.base64(Self.key2)),"])
        #expect(vault.currentKeyID == "k1" && vault.keyIDs == ["k0", "k1"])
        // Printing or dumping a vault shows key ids only.
        var dumped = ""
        dump(vault, to: &dumped)
        for text in ["\(vault)", String(reflecting: vault), dumped] { #expect(!text.contains(good) && !text.contains(Self.base64(Self.key2))) }
    }

    // MARK: - SQLite keeper

    @Test func tokensAreSealedAtRestAndRoundTrip() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key1))
            let tokens = Self.tokens()
            try await keeper.save(tokens, as: "tok-1", agent: "acme:agent-1")
            try await keeper.saveVerifier(state: "state-1", verifier: "pkce-verifier-\(tokens.accessToken)", at: Instant(millisecondsSince1970: 0))
            #expect(try await keeper.load("tok-1") == tokens)
            #expect(await keeper.verifier(forState: "state-1") == "pkce-verifier-\(tokens.accessToken)")
            #expect(try await keeper.load("tok-unknown") == nil)
            #expect(await keeper.verifier(forState: "state-unknown") == nil)

            // No plaintext in any byte SQLite wrote: the database, its WAL and shared memory file.
            for file in [path, path + "-wal", path + "-shm"] {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                for secret in [tokens.accessToken, tokens.refreshToken, "pkce-verifier"] {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(12))… found in \(file)")
                }
            }
            // The file is really there (the scan above is not vacuous): the reference is stored in clear.
            let all = [path, path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }.reduce(Data(), +)
            #expect(all.range(of: Data("tok-1".utf8)) != nil)

            // A keeper with another key cannot read them.
            let stranger = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key2))
            await #expect(throws: TokenVaultError.authenticationFailed) { try await stranger.load("tok-1") }
            #expect(await stranger.verifier(forState: "state-1") == nil)
        }
    }

    @Test func refreshReplacesAtomicallyAndDisconnectDeletes() async throws {
        let store = try SQLiteStore(path: ":memory:")
        let keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key1))
        try await keeper.save(Self.tokens("a"), as: "tok-a", agent: "acme:agent-1")
        try await keeper.save(Self.tokens("b"), as: "tok-b", agent: "acme:agent-1")
        try await keeper.save(Self.tokens("c"), as: "tok-c", agent: "acme:agent-2")
        // A refresh (saved without an agent) replaces the tokens and keeps the row's agent.
        let rotated = Self.tokens("a2")
        try await keeper.save(rotated, as: "tok-a")
        #expect(try await keeper.load("tok-a") == rotated)
        #expect(try store.transaction { try $0.count(.tokens) } == 3)

        // Disconnect of agent 1 is the store command the Connection reducer emits.
        _ = try store.transaction { LocalEffects.commit([.store(.deleteTokens("acme:agent-1"))], at: Instant(millisecondsSince1970: 0), into: &$0) }
        #expect(try await keeper.load("tok-a") == nil)
        #expect(try await keeper.load("tok-b") == nil)
        #expect(try await keeper.load("tok-c") != nil)
        try await keeper.delete("tok-c")
        #expect(try await keeper.load("tok-c") == nil)
        try await keeper.save(Self.tokens("d"), as: "tok-d", agent: "acme:agent-3")
        try await keeper.deleteAll(agent: "acme:agent-3")
        #expect(try store.transaction { try $0.count(.tokens) } == 0)
    }

    @Test func ciphertextsCannotBeSwappedBetweenRows() async throws {
        let store = try SQLiteStore(path: ":memory:")
        let keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key1))
        try await keeper.save(Self.tokens("victim"), as: "tok-victim")
        try await keeper.save(Self.tokens("attacker"), as: "tok-attacker")
        try store.transaction { tx in
            let attacker = try #require(try tx.sealedToken("tok-attacker", lock: false))
            try tx.putSealedToken("tok-victim", agent: nil, ciphertext: attacker.ciphertext, keyID: attacker.keyID, at: Instant(millisecondsSince1970: 0))
        }
        await #expect(throws: TokenVaultError.authenticationFailed) { try await keeper.load("tok-victim") }
    }

    @Test func resealingAfterRotationMovesEveryTokenToTheCurrentKey() async throws {
        let store = try SQLiteStore(path: ":memory:")
        let old = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key1, id: "k1"))
        let saved = [Self.tokens("x"), Self.tokens("y")]
        try await old.save(saved[0], as: "tok-x", agent: "acme:agent-1")
        try await old.save(saved[1], as: "tok-y")
        let rotatedVault = try TokenVault(key: Self.key1, id: "k1").rotated(to: "k2", key: Self.key2)
        let rotated = SQLiteTokenKeeper(store: store, vault: rotatedVault)
        #expect(try await rotated.resealWithCurrentKey() == 2)
        #expect(try await rotated.resealWithCurrentKey() == 0)
        let onlyNew = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key2, id: "k2"))
        #expect(try await onlyNew.load("tok-x") == saved[0])
        #expect(try await onlyNew.load("tok-y") == saved[1])
        #expect(try store.transaction { try $0.sealedToken("tok-x", lock: false)?.agent } == "acme:agent-1")
    }

    @Test func oldVerifiersAreDropped() async throws {
        let store = try SQLiteStore(path: ":memory:")
        let keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: Self.key1))
        try await keeper.saveVerifier(state: "old", verifier: "v-old", at: Instant(millisecondsSince1970: 1_000))
        try await keeper.saveVerifier(state: "new", verifier: "v-new", at: Instant(millisecondsSince1970: 900_000))
        #expect(try await keeper.deleteVerifiers(createdBefore: Instant(millisecondsSince1970: 600_000)) == 1)
        #expect(await keeper.verifier(forState: "old") == nil)
        #expect(await keeper.verifier(forState: "new") == "v-new")
    }
}
