import Foundation

/// Files shipped with the executable (`Sources/Host/Resources`, copied whole into the target's resource
/// bundle next to the binary): the API document and the console's static pages.
enum HostResources {
    static func url(_ relativePath: String) -> URL {
        Bundle.module.bundleURL.appendingPathComponent("Resources").appendingPathComponent(relativePath)
    }
}
