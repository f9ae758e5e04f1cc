import Testing
import PropertyBased
@Test func placeholder() {}
