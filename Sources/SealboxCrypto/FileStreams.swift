internal import CSodium
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes files through POSIX descriptors in fixed-size blocks, so streaming code keeps
/// constant memory whatever the file size.
public enum FileStreams {
    /// The block size used for reading.
    public static let blockSize = 64 * 1024

    /// Calls `body` with each block of the file at `path` (`-` is standard input).
    /// - Throws: `CryptoError.io` when the file cannot be opened or read; what `body` throws.
    public static func forEachBlock(ofFile path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CryptoError(.io, "cannot open \(path) for reading (errno \(errno))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var block = [UInt8](repeating: 0, count: blockSize)
        defer { SecureBytes.wipe(&block) }
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CryptoError(.io, "cannot read \(path) (errno \(errno))")
            }
            if n == 0 { return }
            try block.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// A file opened for writing (created with mode 0600, truncated); `-` is standard output.
    ///
    /// A gathering writer collects small writes into large ones (`gatherSize`), in a buffer lent from a shared pool
    /// only while it holds bytes: the page cache takes a 256 KiB write in one pass where it takes ten 10 KiB writes
    /// one page at a time (a 233 KB file measured ~200 µs of processor time written in 256 KiB writes against
    /// ~380 µs in libarchive's 10 KiB blocks), and a writer that is flushed holds no buffer, however many stay open.
    public final class Writer {
        private let fd: Int32
        private let path: String
        private let gathering: Bool
        private var buffer: UnsafeMutableRawBufferPointer?
        private var filled = 0
        private var closed = false
        /// The first write that failed: every later call fails alike, so a lost byte is never acknowledged.
        private var failure: CryptoError?

        /// The size of a gathering writer's writes.
        public static let gatherSize = 256 * 1024

        /// Opens `path` for writing.
        /// - Parameters:
        ///   - path: the file (`-` is standard output).
        ///   - gathering: whether small writes are gathered into large ones (then `close` writes the last).
        /// - Throws: `CryptoError.io` when it cannot be created.
        public init(path: String, gathering: Bool = false) throws {
            self.path = path
            self.gathering = gathering
            fd = path == "-" ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CryptoError(.io, "cannot create \(path) (errno \(errno))") }
        }

        /// Gives back the buffer and closes the file; bytes still gathered are dropped (a writer left unclosed is
        /// a failed one).
        deinit {
            if let buffer { WriteBuffers.shared.giveBack(buffer) }
            if fd != STDOUT_FILENO && !closed { Glibc.close(fd) }
        }

        /// Writes every byte of `bytes` (a gathering writer may hold them until its buffer is full).
        /// - Throws: `CryptoError.io` on a write failure (disk full, closed pipe).
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            if let failure { throw failure }
            guard gathering, let base = bytes.baseAddress else { return try writeOut(bytes) }
            if filled == 0 && bytes.count >= Self.gatherSize { return try writeOut(bytes) }
            var offset = 0
            while offset < bytes.count {
                let buffer = self.buffer ?? WriteBuffers.shared.take()
                self.buffer = buffer
                let n = min(bytes.count - offset, buffer.count - filled)
                UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: n))
                (filled, offset) = (filled + n, offset + n)
                if filled == buffer.count { try flush() }
            }
        }

        /// Writes out the bytes gathered so far and gives the buffer back to the pool.
        /// - Throws: `CryptoError.io` on a write failure.
        public func flush() throws {
            if let failure { throw failure }
            guard let buffer else { return }
            self.buffer = nil
            defer { WriteBuffers.shared.giveBack(buffer) }
            let count = filled
            filled = 0
            try writeOut(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }

        /// Writes out what is gathered and starts the disk on the file without waiting (`sync_file_range(2)`).
        ///
        /// A later `sync` then finds the disk already busy with it. Best effort: it promises nothing about durability.
        /// - Throws: `CryptoError.io` when the gathered bytes cannot be written.
        public func startWriteback() throws {
            try flush()
            _ = sealbox_start_writeback(fd)
        }

        /// Flushes to stable storage.
        /// - Throws: `CryptoError.io` when the gathered bytes cannot be written or `fsync` fails.
        public func sync() throws {
            try flush()
            guard fd == STDOUT_FILENO || fsync(fd) == 0 else { throw CryptoError(.io, "cannot sync \(path)") }
        }

        /// Writes out what is gathered and closes the file.
        /// - Throws: `CryptoError.io` when the gathered bytes cannot be written or the file cannot be closed.
        public func close() throws {
            guard !closed else { return }
            try flush()
            closed = true
            guard fd == STDOUT_FILENO || Glibc.close(fd) == 0 else {
                throw CryptoError(.io, "cannot close \(path) (errno \(errno))")
            }
        }

        private func writeOut(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    let error = CryptoError(.io, "cannot write \(path) (errno \(errno))")
                    failure = error
                    throw error
                }
                offset += n
            }
        }
    }

    /// The gathering writers' buffers: lent while a writer holds bytes, kept for the next one (at most a few),
    /// so that a batch of files written one after another allocates no buffer after the first.
    final class WriteBuffers: Sendable {
        static let shared = WriteBuffers()
        /// The free buffers' addresses (each `Writer.gatherSize` bytes).
        private let free = Mutex<[UInt]>([])
        private let kept = 8

        func take() -> UnsafeMutableRawBufferPointer {
            if let address = free.withLock({ $0.popLast() }), let start = UnsafeMutableRawPointer(bitPattern: address) {
                return UnsafeMutableRawBufferPointer(start: start, count: Writer.gatherSize)
            }
            return UnsafeMutableRawBufferPointer.allocate(byteCount: Writer.gatherSize, alignment: 4096)
        }

        func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
            guard let start = buffer.baseAddress else { return }
            let address = UInt(bitPattern: start)
            let kept = self.kept
            let keep = free.withLock { list in
                guard list.count < kept else { return false }
                list.append(address)
                return true
            }
            if !keep { buffer.deallocate() }
        }
    }
}

// MARK: - Safe helpers for callers built with strict memory safety

extension FileStreams {
    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Removes `path`, ignoring a missing file.
    public static func remove(_ path: String) { _ = unlink(path) }

    /// Reads a whole small file (a key, a signature), refusing one over `limit` bytes.
    /// - Throws: `CryptoError.io` when missing, unreadable or too large.
    public static func readSmallFile(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachBlock(ofFile: path) { block in
            out.append(contentsOf: block)
            if out.count > limit { throw CryptoError(.io, "\(path) is larger than \(limit) bytes") }
        }
        return out
    }

    /// Reads a whole small secret file into secure memory (the transient read buffers are wiped).
    /// - Throws: `CryptoError.io` when missing, unreadable or too large.
    public static func readSecretFile(_ path: String, limit: Int = 1 << 16) throws -> SecureBytes {
        var raw = try readSmallFile(path, limit: limit)
        defer { SecureBytes.wipe(&raw) }
        return SecureBytes(copying: raw)
    }

    /// Writes `bytes` to `path` (mode 0600), refusing an existing file when `exclusive`.
    /// - Throws: `CryptoError.io` when the file exists (exclusive) or cannot be written and synced.
    public static func writeFile(_ path: String, _ bytes: some RawBytes, exclusive: Bool = false) throws {
        if exclusive && exists(path) { throw CryptoError(.io, "\(path) already exists; refusing to overwrite it") }
        let writer = try Writer(path: path)
        try bytes.withUnsafeBytes { try writer.write($0) }
        try writer.sync()
    }

    /// Writes a secret to a new file (mode 0600), refusing to overwrite.
    /// - Throws: `CryptoError.io` when the file exists or cannot be written.
    public static func writeSecretFile(_ path: String, _ secret: SecureBytes) throws {
        if exists(path) { throw CryptoError(.io, "\(path) already exists; refusing to overwrite a key file") }
        let writer = try Writer(path: path)
        try secret.withUnsafeBytes { try writer.write($0) }
        try writer.sync()
    }

    /// Creates a directory and its parents (mode 0700), ignoring ones that exist.
    /// - Throws: `CryptoError.io` when one cannot be created.
    public static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw CryptoError(.io, "cannot create the folder \(current)")
            }
        }
    }

    /// Flushes a written file to stable storage (`fsync`).
    /// - Parameters:
    ///   - path: the file.
    ///   - droppingCache: whether to advise the kernel, once the file is synced, to drop its pages from the page
    ///     cache (`POSIX_FADV_DONTNEED`): for files written once and not read again soon, such as archive packages.
    /// - Throws: `CryptoError.io` when it cannot be opened or synced.
    public static func sync(path: String, droppingCache: Bool = false) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CryptoError(.io, "cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CryptoError(.io, "cannot sync \(path)") }
        // Only advice: once synced the pages are clean, and the kernel may drop them or not.
        if droppingCache { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) }
    }

    /// Files made durable together: the file system that holds a folder synced once (`syncfs`), instead of an
    /// `fsync` for each file.
    ///
    /// An archive export writes a batch of packages, then makes them durable before it records them. One `fsync` a
    /// file writes that file's inode on its own, waits for it and flushes the device's cache each time; one
    /// `syncfs` for the batch writes the inodes together and flushes once (in the export, measured: 5 % less
    /// processor time a package, 6 % more packages a second). It covers every file on that file system, the batch's
    /// among them.
    /// Errors: the folder is opened when the group is made, before the files are written, and `syncfs` reports a
    /// writeback error met on the file system since (Linux 5.8 and later, which `reportsErrors` checks). An error
    /// anywhere on the file system fails the sync: cautious, never silent. Each file is `fsync`ed instead on an
    /// older kernel, whose `syncfs` reports no error, and on a file system other than the local disk ones named in
    /// `syncsWhole` (a FUSE or network mount may answer `syncfs` without making anything durable).
    public final class FileSystemSync: Sendable {
        private let folder: Int32
        private let path: String
        /// Whether `sync` uses `syncfs` (else an `fsync` a file).
        public let usesSyncfs: Bool

        /// Opens `folder`, on the file system the files to be synced will be written to: before writing them.
        /// - Throws: `CryptoError.io` when the folder cannot be opened.
        public init(folder path: String) throws {
            folder = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY)
            guard folder >= 0 else { throw CryptoError(.io, "cannot open \(path)") }
            self.path = path
            usesSyncfs = Self.reportsErrors && Self.syncsWhole.contains(Int64(sealbox_file_system_type(folder)))
        }

        /// The file systems whose `syncfs` writes back and flushes everything (`statfs` magic numbers): ext2/3/4,
        /// XFS, Btrfs, F2FS, and tmpfs (which has nothing to make durable).
        static let syncsWhole: Set<Int64> = [0xEF53, 0x5846_5342, 0x9123_683E, 0xF2F5_2010, 0x0102_1994]

        deinit { close(folder) }

        /// Makes `files` — and everything else written to the file system since `init` — durable, then, if
        /// `droppingCache`, drops their pages from the page cache (`sync(path:droppingCache:)` says why).
        /// - Throws: `CryptoError.io` when the file system, or on an old kernel one of `files`, cannot be synced.
        public func sync(_ files: [String], droppingCache: Bool = false, usingSyncfs: Bool? = nil) throws {
            guard usingSyncfs ?? usesSyncfs else {
                // File by file, each dropped from the cache as it is synced (one open a file).
                return try Self.syncEach(files, droppingCache: droppingCache)
            }
            guard sealbox_syncfs(folder) == 0 else {
                throw CryptoError(.io, "cannot sync the file system that holds \(path)")
            }
            guard droppingCache else { return }
            for file in files {
                let fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                close(fd)
            }
        }

        /// Eight serial queues shared by the process, for syncing file by file: several files committed at once, no
        /// more than eight threads waiting for the disk.
        private static let lanes = (0..<8).map { DispatchQueue(label: "sealbox.sync.\($0)") }

        /// `fsync`s each of `files`, eight at a time (`sync(path:droppingCache:)`).
        /// - Throws: `CryptoError.io` naming the first file that could not be synced.
        static func syncEach(_ files: [String], droppingCache: Bool) throws {
            let group = DispatchGroup()
            let failures = Mutex<[String]>([])
            for (i, file) in files.enumerated() {
                lanes[i % lanes.count].async(group: group) {
                    do {
                        try FileStreams.sync(path: file, droppingCache: droppingCache)
                    } catch {
                        failures.withLock { $0.append(file) }
                    }
                }
            }
            group.wait()
            if let failed = failures.withLock({ $0.first }) { throw CryptoError(.io, "cannot sync \(failed)") }
        }

        /// Whether this kernel's `syncfs` reports writeback errors (Linux 5.8 and later).
        public static let reportsErrors: Bool = {
            var name = utsname()
            guard uname(&name) == 0 else { return false }
            let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return kernelReportsSyncfsErrors(release: release)
        }()

        /// Whether a kernel of `release` (`uname -r`, such as `6.1.0-18-amd64`) reports `syncfs` writeback errors.
        static func kernelReportsSyncfsErrors(release: String) -> Bool {
            let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard numbers.count == 2 else { return false }
            return (numbers[0], numbers[1]) >= (5, 8)
        }
    }

    /// Writes secret bytes to standard output (a recovery key shown once), with no `String` copy.
    public static func writeStandardOutput(_ secret: SecureBytes) {
        secret.withUnsafeBytes { _ = Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        _ = Glibc.write(STDOUT_FILENO, "\n", 1)
    }

    /// Writes `text` to standard error.
    public static func writeStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

// MARK: - Whole-file operations

extension Age {
    /// Encrypts the file at `input` into `output`, streaming (constant memory).
    /// - Throws: `CryptoError` for I/O or an empty recipient list.
    public static func encryptFile(
        _ input: String, to output: String, recipients: [AgeRecipient], armored: Bool = false
    ) throws {
        let encryptor = try AgeEncryptor(recipients: recipients, armored: armored)
        let writer = try FileStreams.Writer(path: output)
        try FileStreams.forEachBlock(ofFile: input) { try encryptor.update($0, output: writer.write) }
        try encryptor.finish(output: writer.write)
        try writer.sync()
    }

    /// Decrypts the file at `input` into `output`, streaming; on any failure the partial output is removed.
    /// - Throws: `CryptoError` with an `age…` code, or `.io`.
    public static func decryptFile(_ input: String, to output: String, identities: [AgeIdentity]) throws {
        let decryptor = AgeDecryptor(identities: identities)
        do {
            let writer = try FileStreams.Writer(path: output)
            try FileStreams.forEachBlock(ofFile: input) { try decryptor.update($0, output: writer.write) }
            try decryptor.finish(output: writer.write)
            try writer.sync()
        } catch {
            if output != "-" { FileStreams.remove(output) }
            throw error
        }
    }
}

extension Minisign {
    /// BLAKE2b-512 of the file at `path`, streaming.
    /// - Throws: `CryptoError.io`.
    public static func prehashFile(_ path: String) throws -> [UInt8] {
        var hash = Prehash()
        try FileStreams.forEachBlock(ofFile: path) { hash.update($0) }
        return hash.finalize()
    }
}
