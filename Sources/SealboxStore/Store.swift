internal import CSQLite
import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

/// The encrypted store: SQLite through GRDB, with personal data sealed under per-case keys (DESIGN §3, §8).
///
/// Thread-safe; several processes may open the same file (WAL, busy timeout, immediate write transactions).
public final class Store: Sendable {
    let pool: DatabasePool
    /// The policies every command is checked against.
    public let policies: Policies
    /// The file path.
    public let path: String

    /// Opens (and migrates) the store at `path`.
    /// - Throws: `StoreError.database` when the file cannot be opened or migrated.
    public init(path: String, policies: Policies) throws {
        _ = Self.sqliteConfigured
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Schema.migrator.migrate(pool)
        } catch {
            throw Self.map(error)
        }
        self.policies = policies
        self.path = path
    }

    /// SQLite configured once a process, before its first connection: memory statistics off.
    ///
    /// They take one process-wide mutex at every allocation and free, and an export's writers (each reading an
    /// attachment) and its database queue waited on it ~17 ms an export, mostly while a reader dropped its page cache
    /// after a commit. Sealbox sets no soft heap limit, the one feature that needs them. A process that used SQLite
    /// before opening a store keeps them on (`SQLITE_MISUSE`, ignored).
    private static let sqliteConfigured: Bool = sealbox_sqlite_memstatus_off() == SQLITE_OK

    /// Maps GRDB errors to `StoreError` without bound values (GRDB hides arguments by default).
    static func map(_ error: any Error) -> StoreError {
        if let store = error as? StoreError { return store }
        if let db = error as? DatabaseError {
            let code = db.extendedResultCode.rawValue
            if db.resultCode == .SQLITE_BUSY || db.resultCode == .SQLITE_LOCKED {
                return StoreError(.busy, "the store is busy; try again", sqliteCode: code)
            }
            return StoreError(
                .database, "database error \(db.resultCode.rawValue): \(db.message ?? "")", sqliteCode: code)
        }
        if let crypto = error as? CryptoError {
            return StoreError(.corrupted, "a sealed record failed to open (\(crypto.code))")
        }
        return StoreError(.database, "storage failure (\(type(of: error)))")
    }

    /// Runs `body` in one immediate write transaction, mapping errors.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw Self.map(error) }
    }

    /// Runs `body` in a read transaction, mapping errors.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw Self.map(error) }
    }

    /// The migrations applied, in order (for tests and `doctor`).
    public func appliedMigrations() throws -> [String] {
        try read { db in try Schema.migrator.appliedMigrations(db) }
    }

    // MARK: - Meta

    static func meta(_ db: Database, _ key: String) throws -> [UInt8]? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key]).map {
            Array($0)
        }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: [UInt8]) throws {
        try db.cachedStatement(
            sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ).execute(arguments: [key, Data(value)])
    }

    /// The root public key that certifies users (auditors pin it).
    public func rootPublicKey() throws -> SigningPublicKey {
        try read { db in
            guard let bytes = try Self.meta(db, "root_public") else {
                throw StoreError(.notInitialised, "the store is not initialised; run sealbox init")
            }
            return try SigningPublicKey(bytes)
        }
    }
}
