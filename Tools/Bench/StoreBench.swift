import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxStore

/// A letter with about 1 KB of personal text, like the rows of the raw baseline.
func sampleLetter(_ i: Int, at now: Timestamp) -> Letter {
    Letter(
        channel: .website, receivedAt: now,
        sender: Sender(name: Personal("寫信人\(i)"), contact: Personal("138\(String(format: "%08d", i))")),
        subject: Personal("主題 \(i)"), content: Personal(String(repeating: "市民來信內容。", count: 45)))
}

/// Registers COUNT letters as an intake host (public keys only), one transaction each, printing each number.
///
/// `sealbox-bench register-worker STORE POLICIES COUNT`, used by the multi-process numbering test.
func registerWorker(_ arguments: [String]) throws {
    guard arguments.count == 3, let count = Int(arguments[2]) else {
        FileHandle.standardError.write(Data("usage: sealbox-bench register-worker STORE POLICIES COUNT\n".utf8))
        exit(64)
    }
    let store = try Store(path: arguments[0], policies: PolicyFiles.load(folder: arguments[1]))
    let intake = Actor(id: "intake.web", roles: [.clerk])
    let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
    var out = ""
    for i in 0..<count {
        let (number, _) = try store.register(sampleLetter(i, at: now), by: intake, at: now)
        out += "\(number)\n"
    }
    FileHandle.standardOutput.write(Data(out.utf8))
}

/// Bulk registration versus raw GRDB inserts of rows of the same size, in the same process.
func benchStore() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bench-store-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let count = 20_000
    let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))

    // Baseline: raw GRDB inserts of 1 KB rows in one WAL transaction.
    let raw = try DatabasePool(path: folder.appendingPathComponent("raw.db").path)
    try raw.write { db in try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b BLOB)") }
    let payload = Data(repeating: 0x41, count: 1024)
    let rawSeconds = try time {
        try raw.write { db in
            for i in 0..<count {
                try db.execute(sql: "INSERT INTO t(a, b) VALUES (?, ?)", arguments: ["\(i)", payload])
            }
        }
    }
    let store = try Store(
        path: folder.appendingPathComponent("sealbox.db").path, policies: PolicyFiles.load(folder: "Policies"))
    _ = try store.initialise(
        admin: "admin", passphrase: SecureBytes(copying: Array("bench".utf8)),
        kdf: Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: SecureRandom.bytes(16)), at: now)
    let letters = (0..<count).map { sampleLetter($0, at: now) }
    let intake = Actor(id: "intake.web", roles: [.clerk])
    var numbers: [CaseNumber] = []
    let batchSeconds = try time {
        for chunk in stride(from: 0, to: count, by: 1000) {
            numbers += try store.registerBatch(Array(letters[chunk..<min(chunk + 1000, count)]), by: intake, at: now)
        }
    }
    precondition(numbers.count == count, "registration lost letters")
    let single = 500
    let singleSeconds = try time {
        for i in 0..<single { _ = try store.register(letters[i], by: intake, at: now) }
    }
    let rawRate = Double(count) / rawSeconds
    print(
        "store: \(count) letters of ~1 KB, sealed (XChaCha20-Poly1305; bulk: keys wrapped under one envelope per batch), WAL"
    )
    let batch = Double(count) / batchSeconds
    Summary.record(
        "store", "bulk registration", batch, "letters/s", baseline: rawRate, target: "ratio ≥ 0.1",
        met: batch / rawRate >= 0.1)
    print(
        String(
            format: "%@ %9.0f /s   baseline raw insert %9.0f rows/s   ratio %.3f   (target ≥ 0.1: %@)",
            "bulk registration (1000 per transaction)".padding(toLength: 42, withPad: " ", startingAt: 0), batch,
            rawRate, batch / rawRate, batch / rawRate >= 0.1 ? "met" : "NOT MET"))
    let one = Double(single) / singleSeconds
    Summary.record("store", "registration, one transaction each", one, "letters/s", baseline: rawRate)
    print(
        String(
            format: "%@ %9.0f /s   baseline raw insert %9.0f rows/s   ratio %.3f",
            "registration, one transaction each".padding(toLength: 42, withPad: " ", startingAt: 0), one, rawRate,
            one / rawRate))
}

enum PolicyFilesShim {
    static func load() throws -> Policies { try PolicyFiles.load(folder: "Policies") }
}

/// A fresh store for a benchmark in a temporary folder, initialised, with the administrator unlocked.
///
/// Argon2id runs at its minimum cost here: unlocking is not what these benchmarks measure.
final class BenchStore {
    let folder: URL
    let store: Store
    let now = Timestamp(secondsSinceEpoch: 1_772_413_200)
    let pass = SecureBytes(copying: Array("bench".utf8))
    let kdf = Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: SecureRandom.bytes(16))
    let recovery: AgeIdentity
    let admin: UnlockedUser

    init(_ name: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bench-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(
            path: folder.appendingPathComponent("sealbox.db").path, policies: PolicyFiles.load(folder: "Policies"))
        recovery = try store.initialise(admin: "admin", passphrase: pass, kdf: kdf, at: now).recovery
        admin = try store.unlock("admin", passphrase: pass, at: now)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A clerk (office key), the transport department's head (its seal) and an archivist (archive key and seal).
    func archiveUsers() throws -> (clerk: UnlockedUser, head: UnlockedUser, archivist: UnlockedUser) {
        let clerk = try user("clerk", [.clerk, .reviewer])
        let head = try user("head", [.departmentHead, .handler], "transport")
        let archivist = try user("archivist", [.archivist])
        try store.createDepartment("transport", members: [], sealHolders: ["head"], by: admin, at: now)
        try store.grant("office", to: "clerk", usingRecovery: recovery, at: now)
        try store.grant("archive", to: "archivist", withSeal: true, usingRecovery: recovery, at: now)
        return (clerk, head, archivist)
    }

    /// Adds a user and unlocks them.
    func user(_ id: UserID, _ roles: Set<Role>, _ department: DepartmentID? = nil) throws -> UnlockedUser {
        try store.addUser(id, roles: roles, department: department, passphrase: pass, kdf: kdf, by: admin, at: now)
        return try store.unlock(id, passphrase: pass, at: now)
    }
}

/// Registers, assigns and reads COUNT letters as an unlocked clerk (passphrase in `SEALBOX_PASSPHRASE`), one
/// transaction each, printing `number` after each read succeeds.
///
/// `sealbox-bench mixed-worker STORE POLICIES USER COUNT`, used by the 8-process concurrency test.
func mixedWorker(_ arguments: [String]) throws {
    guard arguments.count == 4, let count = Int(arguments[3]),
        let pass = ProcessInfo.processInfo.environment["SEALBOX_PASSPHRASE"]
    else {
        FileHandle.standardError.write(Data("usage: sealbox-bench mixed-worker STORE POLICIES USER COUNT\n".utf8))
        exit(64)
    }
    let store = try Store(path: arguments[0], policies: PolicyFiles.load(folder: arguments[1]))
    let now = Timestamp(secondsSinceEpoch: 1_772_413_200)
    let clerk = try store.unlock(UserID(arguments[2]), passphrase: SecureBytes(copying: Array(pass.utf8)), at: now)
    var out = ""
    for i in 0..<count {
        let (number, _) = try store.register(sampleLetter(i, at: now), by: clerk.actor, indexer: clerk, at: now)
        try store.apply(
            .assign(.init(lead: "transport", matter: "m", requirements: "r")), to: number, by: clerk, at: now)
        let c = try store.read(number, purpose: "concurrency check", by: clerk, at: now)
        guard c.number == number, c.status == .assigned else {
            throw StoreError(.corrupted, "read back the wrong case")
        }
        out += "\(number)\n"
    }
    FileHandle.standardOutput.write(Data(out.utf8))
}
