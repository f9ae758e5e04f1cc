import Effects

public enum Role: String, Codable, Sendable, Hashable, CaseIterable { case admin, supervisor, agent, runtime }

/// The authenticated caller, as the platform's signed token describes it.
public struct Principal: Codable, Sendable, Hashable {
    public var subject: String
    public var account: AccountID
    public var role: Role
    public var features: [String]
    public var addons: [String]
    public var flags: [String]

    public init(subject: String, account: AccountID, role: Role, features: [String] = [], addons: [String] = [], flags: [String] = []) {
        self.subject = subject; self.account = account; self.role = role; self.features = features; self.addons = addons; self.flags = flags
    }
}

public enum Permission: String, Codable, Sendable, CaseIterable {
    /// Connect, disconnect, list event types, save the action (S01, S02).
    case configure
    /// Booking analytics (S04).
    case viewAnalytics
    /// Offer and reply routes called by the AI Agent runtime (S03).
    case runBooking
}

/// The compound entitlement of PRD §6: the AI Agent feature AND the Native Integrations add-on AND the
/// `ai_agent_calendly_action` flag; then the role rules. A caller without access must not learn the
/// resource exists (the UI does not render it; the API answers 404).
public enum Access {
    public static let feature = "ai_agent"
    public static let addon = "native_integrations"
    public static let flag = "ai_agent_calendly_action"

    public static func isEntitled(_ principal: Principal) -> Bool {
        principal.features.contains(feature) && principal.addons.contains(addon) && principal.flags.contains(flag)
    }

    public static func allows(_ principal: Principal, _ permission: Permission) -> Bool {
        guard isEntitled(principal) else { return false }
        switch permission {
        case .configure: return principal.role == .admin
        case .viewAnalytics: return principal.role == .admin || principal.role == .supervisor
        // NEG-2: human agents never get a booking surface; only the AI Agent runtime books.
        case .runBooking: return principal.role == .runtime
        }
    }
}

/// A row of the action drawer (S01 AC-1).
public struct DrawerRow: Codable, Sendable, Hashable {
    public var group: String
    public var name: String
    public var description: String
    public var brandMark: String
}

public enum ActionDrawer {
    /// The Calendly row of the `Other integration` group, or nothing when the caller may not configure it.
    public static func calendlyRow(for principal: Principal) -> DrawerRow? {
        guard Access.allows(principal, .configure) else { return nil }
        return DrawerRow(group: Copy.drawerGroup, name: Copy.actionName, description: Copy.actionDescription, brandMark: Copy.brandMarkSlot)
    }
}
