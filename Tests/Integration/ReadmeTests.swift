import Foundation
import Interpreters
import Testing
@testable import Host

/// The README is the operator's manual: every environment variable the service reads is in it.
struct ReadmeTests {
    @Test func everyEnvironmentVariableIsDocumented() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let variables = HostConfiguration.variables + [TokenVault.keyVariable, TokenVault.keyIDVariable, TokenVault.oldKeysVariable]
        for variable in variables { #expect(readme.contains("`\(variable)`"), "\(variable) is not in the README") }
    }
}
