import Foundation

/// One message read from a source, with where it came from (for the summary; never its content).
public struct RawMessage: Sendable {
    /// `file`, `file#N` for the Nth message of an mbox, or the Maildir file.
    public var origin: String
    /// The message's bytes.
    public var bytes: [UInt8]
}

/// Reads messages from `.eml` files, mbox files and Maildir folders.
public enum Mailbox {
    /// The largest message taken (larger ones are quarantined by the caller with this reason).
    public static let maxMessageBytes = 64 << 20

    /// Every message under `path`: a Maildir (a folder with `cur` and `new`), any other folder (each file an
    /// `.eml`), an mbox (a file starting `From `), or one `.eml` file.
    /// - Throws: `MailError` when `path` cannot be read.
    public static func messages(at path: String) throws(MailError) -> [RawMessage] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MailError("no such file or folder: \(path)")
        }
        if isDirectory.boolValue {
            let fm = FileManager.default
            let maildir = ["cur", "new"].allSatisfy { fm.fileExists(atPath: "\(path)/\($0)") }
            let folders = maildir ? ["\(path)/new", "\(path)/cur"] : [path]
            var out: [RawMessage] = []
            for folder in folders {
                let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                for name in names {
                    var sub: ObjCBool = false
                    guard fm.fileExists(atPath: "\(folder)/\(name)", isDirectory: &sub), !sub.boolValue else {
                        continue
                    }
                    out += try messages(inFile: "\(folder)/\(name)")
                }
            }
            return out
        }
        return try messages(inFile: path)
    }

    static func messages(inFile path: String) throws(MailError) -> [RawMessage] {
        guard let data = FileManager.default.contents(atPath: path) else { throw MailError("cannot read \(path)") }
        let bytes = [UInt8](data)
        if bytes.starts(with: Array("From ".utf8)) {
            return splitMbox(bytes).enumerated().map {
                RawMessage(origin: "\(path)#\($0.offset + 1)", bytes: $0.element)
            }
        }
        return [RawMessage(origin: path, bytes: bytes)]
    }

    /// Splits an mbox at its `From ` lines (each at the start of the file or after a line break), undoing mboxrd
    /// quoting (`>From ` → `From `, one `>` less on each `>…>From ` line).
    static func splitMbox(_ bytes: [UInt8]) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var current: [UInt8]?
        var index = 0
        while index < bytes.count {
            let end = bytes[index...].firstIndex(of: 0x0A) ?? bytes.count
            let line = bytes[index..<end]
            let next = end < bytes.count ? end + 1 : end
            if line.starts(with: Array("From ".utf8)) {
                if let message = current { messages.append(trimmed(message)) }
                current = []
            } else {
                var content = line[...]
                let quotes = content.prefix { $0 == 0x3E }.count
                if quotes > 0 && content.dropFirst(quotes).starts(with: Array("From ".utf8)) {
                    content = content.dropFirst()
                }
                current?.append(contentsOf: content)
                if end < bytes.count { current?.append(0x0A) }
            }
            index = next
        }
        if let message = current { messages.append(trimmed(message)) }
        return messages
    }

    /// Drops the blank line mbox puts before the next `From `.
    static func trimmed(_ message: [UInt8]) -> [UInt8] {
        var m = message
        if m.last == 0x0A && m.dropLast().last == 0x0A { m.removeLast() }
        return m
    }
}
