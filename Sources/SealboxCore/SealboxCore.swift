/// The Measures as a workflow engine.
public enum SealboxCoreInfo {
    /// The format version of the domain model.
    public static let modelVersion = 1
}
