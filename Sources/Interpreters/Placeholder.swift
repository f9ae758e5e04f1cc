import Crypto
public enum InterpPlaceholder {}
