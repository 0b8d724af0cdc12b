import Foundation
import SealboxCore
import SealboxCrypto

/// Blind indexes (DESIGN §3): keyed BLAKE2b tags of normalised phone, e-mail, ID number and IP.
///
/// The office finds repeat writers (重復來信) without decrypting everything. The key is derived from the office secret, so
/// departments cannot compute tags.
public enum BlindIndex {
    /// What a tag indexes.
    public enum Kind: String, Sendable, CaseIterable {
        case phone, email, idNumber = "id_number", ip
    }

    /// The normalised form of a value, or `nil` when it is not of that kind.
    ///
    /// Phones keep digits only and drop a leading `86`/`0086` country code; e-mail is trimmed and lower-cased;
    /// ID numbers are trimmed and upper-cased (the check letter `X`); IPs are trimmed and lower-cased.
    public static func normalise(_ value: String, as kind: Kind) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .phone:
            var digits = trimmed.filter(\.isASCII).filter(\.isNumber)
            if digits.hasPrefix("0086") {
                digits.removeFirst(4)
            } else if digits.hasPrefix("86") && digits.count == 13 {
                digits.removeFirst(2)
            }
            return digits.count >= 7 && !trimmed.contains("@") ? digits : nil
        case .email:
            return trimmed.contains("@") ? trimmed.lowercased() : nil
        case .idNumber:
            let id = trimmed.uppercased().filter { !$0.isWhitespace }
            return id.count == 15 || id.count == 18 ? id : nil
        case .ip:
            return trimmed.isEmpty ? nil : trimmed.lowercased()
        }
    }

    /// Derives the index key from the office secret.
    static func key(fromOffice office: BoxSecretKey) throws -> SecureBytes {
        try SubkeyKDF.deriveKey(from: office.bytes, id: 1, context: "blindidx", count: 32)
    }

    /// The tag of a normalised value.
    static func tag(_ normalised: String, kind: Kind, key: SecureBytes) throws -> [UInt8] {
        try BLAKE2b.hash(Array("\(kind.rawValue):\(normalised)".utf8), outputCount: 32, key: key)
    }

    /// Every (kind, tag) for a sender.
    static func tags(for sender: Sender, key: SecureBytes) throws -> [(Kind, [UInt8])] {
        var out: [(Kind, [UInt8])] = []
        for contact in [sender.contact?.value, sender.email?.value].compactMap({ $0 }) {
            for kind in [Kind.phone, .email] {
                if let n = normalise(contact, as: kind) { out.append((kind, try tag(n, kind: kind, key: key))) }
            }
        }
        if let id = sender.idNumber?.value, let n = normalise(id, as: .idNumber) {
            out.append((.idNumber, try tag(n, kind: .idNumber, key: key)))
        }
        if let ip = sender.anonymousIdentifier?.value, let n = normalise(ip, as: .ip) {
            out.append((.ip, try tag(n, kind: .ip, key: key)))
        }
        return out
    }
}
