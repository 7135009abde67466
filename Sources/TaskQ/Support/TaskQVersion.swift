/// TaskQ's version, reported in banners and worker events.
public enum TaskQVersion {
    /// The version string.
    public static let current = "0.1.0"
}
