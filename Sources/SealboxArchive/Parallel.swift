import Dispatch
import Synchronization

/// A value handed between threads by a caller that guarantees one user at a time.
public struct Unchecked<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// Independent work on the machine's cores.
public enum Parallel {
    /// `body(0..<count)` on the machine's cores (Dispatch's `concurrentPerform`), results in order.
    /// - Throws: the error of the lowest index that failed.
    public static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        let results = Mutex<[Result<T, any Error>?]>(Array(repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = Result { try body(i) }
            results.withLock { $0[i] = result }
        }
        return try results.withLock { all in
            try all.map { try ($0 ?? .failure(ArchiveError(.io, "a parallel task did not run"))).get() }
        }
    }
}
