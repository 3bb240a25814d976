public enum PipeLabVersion {
    /// Stored with every sweep.
    public static let current = "0.2.0"
}
