internal import CArchive
import SealboxCrypto

/// The one error type of `SealboxArchive`.
public struct ArchiveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public enum Code: String, Sendable {
        /// libarchive could not read or write.
        case io
        /// An entry of an untrusted tar is refused (absolute path, `..`, link, device, oversized).
        case unsafeEntry = "unsafe_entry"
        /// The bag does not verify.
        case invalidBag = "invalid_bag"
    }

    /// The kind.
    public let code: Code
    /// A one-line message naming the file and what is wrong.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Writes a pax tar with libarchive, entry by entry, streaming file contents in blocks (constant memory).
///
/// libarchive hands each header and block straight to a gathering `FileStreams.Writer` (no blocking of its own:
/// the tar ends after its two zero records), which writes them out in large writes.
public final class TarWriter {
    private let handle: OpaquePointer
    private let path: String
    private let mtime: Int
    private let output: Output

    /// Creates `path` (truncating) as a pax tar.
    /// - Throws: `ArchiveError.io` when the file cannot be created.
    public init(path: String, modificationTime: Int) throws {
        ArchiveLibrary.prepareLocale()
        let output = Output(try Self.ioError { try FileStreams.Writer(path: path, gathering: true) })
        guard let a = archive_write_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        handle = a
        self.path = path
        self.output = output
        mtime = modificationTime
        guard archive_write_set_format_pax_restricted(a) == ARCHIVE_OK,
            archive_write_set_bytes_per_block(a, 0) == ARCHIVE_OK,
            archive_write_open2(
                a, Unmanaged.passUnretained(output).toOpaque(), nil,
                { _, context, bytes, count in
                    guard let context else { return -1 }
                    let output = Unmanaged<Output>.fromOpaque(context).takeUnretainedValue()
                    return output.write(UnsafeRawBufferPointer(start: bytes, count: count)) ? count : -1
                },
                // No close callback: libarchive ignores what one returns, so `close` closes the file itself.
                nil, nil) == ARCHIVE_OK
        else { throw ArchiveError(.io, "cannot create \(path): \(Self.message(a))") }
    }

    deinit { archive_write_free(handle) }

    /// The file libarchive writes to, and the first error it met (libarchive keeps only "write error").
    final class Output {
        let writer: FileStreams.Writer
        var failure: String?

        init(_ writer: FileStreams.Writer) { self.writer = writer }

        func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
            do {
                try writer.write(bytes)
                return true
            } catch {
                failure = failure ?? "\(error)"
                return false
            }
        }
    }

    /// Runs `body`, turning a `CryptoError` into `ArchiveError.io` with its message.
    static func ioError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CryptoError {
            throw ArchiveError(.io, error.message)
        }
    }

    /// Writes out what is gathered so far and starts the disk on it without waiting, so that a later sync finds it
    /// busy; the writer holds no buffer until it is written to again.
    /// - Throws: `ArchiveError.io`.
    public func startWriteback() throws {
        try Self.ioError { try output.writer.startWriteback() }
    }

    static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// What failed: the file's own error when there was one, else libarchive's.
    private var failure: String { output.failure ?? Self.message(handle) }

    private func header(_ name: String, size: Int) throws {
        guard let entry = archive_entry_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_size(entry, Int64(size))
        archive_entry_set_filetype(entry, sealbox_ae_ifreg())
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, mtime, 0)
        guard archive_write_header(handle, entry) == ARCHIVE_OK else {
            throw ArchiveError(.io, "cannot write the header of \(name): \(failure)")
        }
    }

    private func data(_ bytes: UnsafeRawBufferPointer, _ name: String) throws {
        guard bytes.count > 0 else { return }
        guard archive_write_data(handle, bytes.baseAddress, bytes.count) == bytes.count else {
            throw ArchiveError(.io, "cannot write \(name): \(failure)")
        }
    }

    /// Adds a file whose bytes are in memory.
    public func add(_ name: String, bytes: [UInt8]) throws {
        try header(name, size: bytes.count)
        try bytes.withUnsafeBytes { try data($0, name) }
    }

    /// Adds a file of `size` bytes produced block by block by `produce`, which calls its argument for each block.
    public func add(
        _ name: String, size: Int, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        try header(name, size: size)
        var written = 0
        try produce { block in
            written += block.count
            try data(block, name)
        }
        guard written == size else { throw ArchiveError(.io, "\(name): wrote \(written) bytes, announced \(size)") }
    }

    /// Finishes the archive and, unless `sync` is false (a caller syncing many files itself), flushes it to disk.
    /// - Throws: `ArchiveError.io`.
    public func close(sync: Bool = true) throws {
        guard archive_write_close(handle) == ARCHIVE_OK else {
            throw ArchiveError(.io, "cannot finish \(path): \(failure)")
        }
        try Self.ioError {
            if sync { try output.writer.sync() }
            try output.writer.close()
        }
    }
}

/// Reads an untrusted tar without extracting it: regular files only, relative paths without `..`, a size cap.
public enum TarReader {
    /// Calls `visit` for each entry with its name and size and a function that yields its content block by block.
    /// - Throws: `ArchiveError.unsafeEntry` for an absolute path, `..`, a link, a device or an oversized entry;
    ///   `.io` when the tar is damaged; what `visit` throws.
    public static func forEachEntry(
        ofFile path: String, maxEntryBytes: Int = 1 << 40,
        _ visit: (_ name: String, _ size: Int, _ read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
            -> Void
    ) throws {
        try forEachEntry(
            label: path, maxEntryBytes: maxEntryBytes, open: { archive_read_open_filename($0, path, 64 * 1024) }, visit)
    }

    /// `forEachEntry` over a tar held in memory (the fuzzing harness, small packages).
    public static func forEachEntry(
        inMemory bytes: [UInt8], maxEntryBytes: Int = 1 << 40,
        _ visit: (_ name: String, _ size: Int, _ read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
            -> Void
    ) throws {
        try bytes.withUnsafeBytes { buffer in
            try forEachEntry(
                label: "the package", maxEntryBytes: maxEntryBytes,
                open: { archive_read_open_memory($0, buffer.baseAddress, buffer.count) }, visit)
        }
    }

    /// An entry's path as UTF-8: the raw name when it is ASCII (the same in every character set, and no conversion
    /// through the locale), else libarchive's UTF-8 form.
    static func name(of entry: OpaquePointer) -> String {
        if let raw = archive_entry_pathname(entry) {
            var count = 0
            while raw[count] != 0 { count += 1 }
            let ascii = UnsafeRawBufferPointer(start: raw, count: count)
            if !ascii.contains(where: { $0 >= 0x80 }) { return String(decoding: ascii, as: UTF8.self) }
        }
        return archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? ""
    }

    /// Whether `name` is a relative path whose components are none empty and none `..` (so not absolute either).
    static func isRelativeWithoutDotDot(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { b in
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == 0x2F {
                let count = i - start
                if count == 0 || count == 2 && b[start] == 0x2E && b[start + 1] == 0x2E { return false }
                start = i + 1
            }
            return true
        }
    }

    static func forEachEntry(
        label path: String, maxEntryBytes: Int, open: (OpaquePointer) -> Int32,
        _ visit: (_ name: String, _ size: Int, _ read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
            -> Void
    ) throws {
        ArchiveLibrary.prepareLocale()
        guard let a = archive_read_new() else { throw ArchiveError(.io, "libarchive: out of memory") }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        guard open(a) == ARCHIVE_OK else {
            throw ArchiveError(.io, "cannot open \(path): \(TarWriter.message(a))")
        }
        var entry: OpaquePointer?
        var seen = Set<String>()
        while true {
            let status = archive_read_next_header(a, &entry)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK, let entry else {
                throw ArchiveError(.io, "\(path) is damaged: \(TarWriter.message(a))")
            }
            let name = Self.name(of: entry)
            guard Self.isRelativeWithoutDotDot(name) else {
                throw ArchiveError(.unsafeEntry, "refused entry '\(name)': absolute, empty or '..' path")
            }
            guard archive_entry_filetype(entry) == sealbox_ae_ifreg() else {
                throw ArchiveError(
                    .unsafeEntry, "refused entry '\(name)': not a regular file (link, directory or device)")
            }
            guard seen.insert(name).inserted else {
                throw ArchiveError(.unsafeEntry, "refused entry '\(name)': the name appears twice")
            }
            let size = Int(archive_entry_size(entry))
            guard size >= 0, size <= maxEntryBytes else {
                throw ArchiveError(.unsafeEntry, "refused entry '\(name)': \(size) bytes is over the limit")
            }
            try visit(name, size) { consume in
                // Blocks straight from libarchive's buffer (no copy); a hole (a sparse entry) is refused.
                var expected: Int64 = 0
                while true {
                    var block: UnsafeRawPointer?
                    var count = 0
                    var offset: Int64 = 0
                    let status = archive_read_data_block(a, &block, &count, &offset)
                    if status == ARCHIVE_EOF { break }
                    guard status == ARCHIVE_OK else {
                        throw ArchiveError(.io, "\(path): cannot read \(name): \(TarWriter.message(a))")
                    }
                    guard offset == expected else {
                        throw ArchiveError(.unsafeEntry, "refused entry '\(name)': a sparse file")
                    }
                    expected += Int64(count)
                    if count > 0, let block { try consume(UnsafeRawBufferPointer(start: block, count: count)) }
                }
                guard expected == Int64(size) else {
                    throw ArchiveError(.io, "\(path): \(name) is truncated")
                }
            }
        }
    }
}
