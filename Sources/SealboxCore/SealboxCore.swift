/// The Measures as a workflow engine (issue 3). Filled in by the Core issue.
public enum SealboxCoreInfo {
    /// The format version of the domain model.
    public static let modelVersion = 1
}
