import Crypto
import Foundation

/// Encrypts secrets at rest with AES-256-GCM. Keys rotate: every ciphertext names the key that sealed
/// it, new ones always use the current key, and old keys stay available for opening.
///
/// Ciphertext layout (format version 1):
///
///     [0x01] [n = key id length] [n bytes: key id, UTF-8] [AES.GCM combined box: 12-byte nonce ‖ ciphertext ‖ 16-byte tag]
///
/// The header (version + key id) and an optional caller `context` are authenticated, so neither the key
/// id nor the row a ciphertext belongs to can be swapped without `open` failing.
public struct TokenVault: Sendable {
    public static let formatVersion: UInt8 = 1
    public static let keyByteCount = 32
    public static let defaultKeyID = "k1"

    public let currentKeyID: String
    private let keys: [String: SymmetricKey]

    /// `keys` must hold `currentKeyID`; every key is 256 bits; ids are 1–64 of `A–Z a–z 0–9 . _ -`.
    public init(currentKeyID: String, keys: [String: SymmetricKey]) throws(TokenVaultError) {
        for (id, key) in keys {
            guard Self.isValidKeyID(id) else { throw .invalidKeyID(source: "key list") }
            guard key.bitCount == Self.keyByteCount * 8 else { throw .keyWrongLength(source: "key \(id)", byteCount: key.bitCount / 8) }
        }
        guard keys[currentKeyID] != nil else { throw .currentKeyMissing }
        self.currentKeyID = currentKeyID
        self.keys = keys
    }

    /// A vault with one key.
    public init(key: SymmetricKey, id: String = TokenVault.defaultKeyID) throws(TokenVaultError) {
        try self.init(currentKeyID: id, keys: [id: key])
    }

    /// The same vault sealing with a new current key; the previous keys still open old ciphertexts.
    public func rotated(to id: String, key: SymmetricKey) throws(TokenVaultError) -> TokenVault {
        guard keys[id] == nil else { throw .duplicateKeyID(source: "rotation") }
        var all = keys
        all[id] = key
        return try TokenVault(currentKeyID: id, keys: all)
    }

    public var keyIDs: [String] { keys.keys.sorted() }

    static func isValidKeyID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 46 || byte == 95 || byte == 45
        }
    }

    private static func header(_ id: String) -> Data {
        var header = Data([formatVersion, UInt8(id.utf8.count)])
        header.append(contentsOf: id.utf8)
        return header
    }

    /// Encrypts under the current key. `context` (e.g. the row's key) must be given again to `open`.
    public func seal(_ plaintext: Data, context: Data = Data()) throws(TokenVaultError) -> Data {
        guard let key = keys[currentKeyID] else { throw .currentKeyMissing }
        let header = Self.header(currentKeyID)
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: header + context)
            guard let combined = box.combined else { throw TokenVaultError.sealFailed }
            return header + combined
        } catch {
            throw .sealFailed
        }
    }

    /// Decrypts with the key the ciphertext names. Tampering, a wrong key or a wrong context all fail
    /// with `authenticationFailed`.
    public func open(_ sealed: Data, context: Data = Data()) throws(TokenVaultError) -> Data {
        let (id, headerLength) = try Self.parseHeader(sealed)
        guard let key = keys[id] else { throw .unknownKeyID(id) }
        let header = sealed.prefix(headerLength)
        let box: AES.GCM.SealedBox
        do { box = try AES.GCM.SealedBox(combined: sealed.dropFirst(headerLength)) } catch { throw .malformedCiphertext }
        do { return try AES.GCM.open(box, using: key, authenticating: Data(header) + context) } catch { throw .authenticationFailed }
    }

    /// The id of the key that sealed `sealed` (to find ciphertexts to re-seal after a rotation).
    public static func keyID(of sealed: Data) throws(TokenVaultError) -> String {
        try parseHeader(sealed).id
    }

    private static func parseHeader(_ sealed: Data) throws(TokenVaultError) -> (id: String, length: Int) {
        let bytes = [UInt8](sealed.prefix(2 + 255))
        guard let version = bytes.first else { throw .malformedCiphertext }
        guard version == formatVersion else { throw .unsupportedFormat(version: version) }
        guard bytes.count >= 2 else { throw .malformedCiphertext }
        let length = Int(bytes[1])
        guard bytes.count >= 2 + length, let id = String(validating: bytes[2..<(2 + length)], as: UTF8.self), isValidKeyID(id) else {
            throw .malformedCiphertext
        }
        // nonce + tag at least
        guard sealed.count >= 2 + length + 12 + 16 else { throw .malformedCiphertext }
        return (id, 2 + length)
    }

    // MARK: - Configuration

    public static let keyVariable = "TOKEN_ENCRYPTION_KEY"
    public static let keyIDVariable = "TOKEN_ENCRYPTION_KEY_ID"
    public static let oldKeysVariable = "TOKEN_ENCRYPTION_OLD_KEYS"

    /// Reads `TOKEN_ENCRYPTION_KEY` (base64 of exactly 32 bytes), optional `TOKEN_ENCRYPTION_KEY_ID`
    /// (default "k1") and optional `TOKEN_ENCRYPTION_OLD_KEYS` ("id:base64,id:base64"). Errors name the
    /// variable (and the entry's position) but never echo a value.
    public static func fromEnvironment(_ environment: [String: String]) throws(TokenVaultError) -> TokenVault {
        let raw = environment[keyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !raw.isEmpty else { throw .missingKey }
        let current = try decodeKey(raw, source: keyVariable)
        let idText = environment[keyIDVariable]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let currentID = idText.isEmpty ? defaultKeyID : idText
        guard isValidKeyID(currentID) else { throw .invalidKeyID(source: keyIDVariable) }
        var keys = [currentID: current]
        let entries = (environment[oldKeysVariable] ?? "").split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        for (index, entry) in entries.enumerated() where !entry.isEmpty {
            let source = "\(oldKeysVariable) entry \(index + 1)"
            guard let colon = entry.firstIndex(of: ":") else { throw .malformedOldKeyEntry(source: source) }
            let id = String(entry[..<colon]).trimmingCharacters(in: .whitespaces)
            guard isValidKeyID(id) else { throw .invalidKeyID(source: source) }
            guard keys[id] == nil else { throw .duplicateKeyID(source: source) }
            keys[id] = try decodeKey(String(entry[entry.index(after: colon)...]).trimmingCharacters(in: .whitespaces), source: source)
        }
        return try TokenVault(currentKeyID: currentID, keys: keys)
    }

    private static func decodeKey(_ text: String, source: String) throws(TokenVaultError) -> SymmetricKey {
        guard let bytes = Data(base64Encoded: text) else { throw .keyNotBase64(source: source) }
        guard bytes.count == keyByteCount else { throw .keyWrongLength(source: source, byteCount: bytes.count) }
        return SymmetricKey(data: bytes)
    }
}

extension TokenVault: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Key ids only: printing or dumping a vault never shows key material.
    public var description: String { "TokenVault(current: \(currentKeyID), keys: \(keyIDs))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["currentKeyID": currentKeyID, "keyIDs": keyIDs]) }
}

/// Why the vault could not be configured or could not seal/open. Never carries key material, plaintext
/// or ciphertext — configuration errors name the variable, not its value.
public enum TokenVaultError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingKey
    case keyNotBase64(source: String)
    case keyWrongLength(source: String, byteCount: Int)
    case invalidKeyID(source: String)
    case malformedOldKeyEntry(source: String)
    case duplicateKeyID(source: String)
    case currentKeyMissing
    case sealFailed
    case unsupportedFormat(version: UInt8)
    case malformedCiphertext
    case unknownKeyID(String)
    case authenticationFailed

    public var description: String {
        switch self {
        case .missingKey:
            return "\(TokenVault.keyVariable) is not set: it must be base64 of exactly \(TokenVault.keyByteCount) random bytes (e.g. `openssl rand -base64 32`)"
        case .keyNotBase64(let source): return "\(source) is not valid base64"
        case .keyWrongLength(let source, let count):
            return "\(source) decodes to \(count) bytes; an AES-256 key must be exactly \(TokenVault.keyByteCount) bytes"
        case .invalidKeyID(let source): return "\(source): a key id must be 1–64 characters of A–Z a–z 0–9 . _ -"
        case .malformedOldKeyEntry(let source): return "\(source) must look like id:base64"
        case .duplicateKeyID(let source): return "\(source) reuses a key id that is already configured"
        case .currentKeyMissing: return "the current key id has no key"
        case .sealFailed: return "encryption failed"
        case .unsupportedFormat(let version): return "unsupported ciphertext format version \(version)"
        case .malformedCiphertext: return "malformed ciphertext"
        case .unknownKeyID(let id): return "ciphertext was sealed with key \(id), which is not configured (was it removed from \(TokenVault.oldKeysVariable)?)"
        case .authenticationFailed: return "ciphertext failed authentication (tampered, wrong key, or wrong context)"
        }
    }
}
