internal import CArchive

/// The libarchive this build links: the archive packages (a later issue) are written with it.
///
/// Only the link is proved here; `SealboxArchive` has no package writer or reader yet.
public enum ArchiveLibrary {
    /// libarchive's version string, such as `libarchive 3.6.2`.
    public static var version: String {
        guard let text = archive_version_string() else { return "libarchive (unknown version)" }
        return String(cString: text)
    }

    /// Sets a UTF-8 `LC_CTYPE` once, which libarchive needs before it writes non-ASCII names.
    public static func prepareLocale() {
        sealbox_set_utf8_locale()
    }
}
