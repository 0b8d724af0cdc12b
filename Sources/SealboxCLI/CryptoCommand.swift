import ArgumentParser
internal import SealboxCrypto

/// `sealbox crypto …`: the standard-format tools the archive builds on (age sealing, minisign signing).
struct CryptoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "age encryption and minisign signatures, compatible with the age and minisign tools.",
        subcommands: [
            AgeKeygen.self, AgeEncrypt.self, AgeDecrypt.self, MinisignKeygen.self, MinisignSign.self,
            MinisignVerify.self,
        ]
    )
}

/// Fails with exit 66 when `path` (other than `-`) does not exist.
func requireInput(_ path: String) throws {
    guard path == "-" || FileStreams.exists(path) else { throw CLIError(.noInput, "\(path) does not exist") }
}

struct AgeKeygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age-keygen", abstract: "Make an age X25519 identity file (mode 0600); print its recipient.")

    @Option(name: .shortAndLong, help: "Where to write the identity (AGE-SECRET-KEY-1…).")
    var output: String

    func run() async throws {
        let identity = AgeIdentity.generate()
        if FileStreams.exists(output) { throw CLIError(.cannotCreate, "\(output) already exists; not overwriting it") }
        try FileStreams.writeSecretFile(output, identity.identityFile())
        print(identity.recipient)
    }
}

struct AgeEncrypt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age-encrypt", abstract: "Encrypt a file to age recipients, streaming.")

    @Option(name: .shortAndLong, help: "An age1… recipient; repeat for several.")
    var recipient: [String]
    @Flag(name: .shortAndLong, help: "Write ASCII armor.")
    var armor = false
    @Option(name: .shortAndLong, help: "Output file (- for standard output).")
    var output: String
    @Argument(help: "Input file (- for standard input).")
    var input: String

    func validate() throws {
        guard !recipient.isEmpty else { throw ValidationError("give at least one --recipient age1…") }
    }

    func run() async throws {
        let recipients = try recipient.map { try AgeRecipient(parsing: $0) }
        try requireInput(input)
        try Age.encryptFile(input, to: output, recipients: recipients, armored: armor)
    }
}

struct AgeDecrypt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age-decrypt", abstract: "Decrypt an age file (binary or armored), streaming.")

    @Option(name: .shortAndLong, help: "An identity file (AGE-SECRET-KEY-1… lines; # comments).")
    var identity: String
    @Option(name: .shortAndLong, help: "Output file (- for standard output).")
    var output: String
    @Argument(help: "Input file (- for standard input).")
    var input: String

    func run() async throws {
        try requireInput(identity)
        let identities = try AgeIdentity.parseFile(FileStreams.readSecretFile(identity))
        guard !identities.isEmpty else { throw CLIError(.dataError, "\(identity) holds no age identity") }
        try requireInput(input)
        // A failure removes the partial plaintext: nothing unauthenticated is left behind.
        try Age.decryptFile(input, to: output, identities: identities)
    }
}

struct MinisignKeygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minisign-keygen",
        abstract: "Make a minisign key pair (secret key unencrypted, mode 0600, like minisign -G -W).")

    @Option(name: .shortAndLong, help: "Where to write the secret key.")
    var secretKey: String
    @Option(name: .shortAndLong, help: "Where to write the public key.")
    var publicKey: String

    func run() async throws {
        let key = Minisign.SecretKey(key: .generate())
        if FileStreams.exists(secretKey) {
            throw CLIError(.cannotCreate, "\(secretKey) already exists; not overwriting it")
        }
        try FileStreams.writeSecretFile(secretKey, key.fileText())
        try FileStreams.writeFile(publicKey, Array(key.publicKey.fileText.utf8))
        print(key.publicKey.base64)
    }
}

struct MinisignSign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minisign-sign", abstract: "Sign a file (minisign ED signature), streaming.")

    @Option(name: .shortAndLong, help: "The secret key file.")
    var secretKey: String
    @Option(name: .shortAndLong, help: "The trusted (signed) comment.")
    var trustedComment: String?
    @Argument(help: "The file to sign; the signature goes to FILE.minisig.")
    var file: String

    func run() async throws {
        try requireInput(secretKey)
        let key = try Minisign.SecretKey(parsing: FileStreams.readSecretFile(secretKey))
        try requireInput(file)
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let signature = try Minisign.sign(
            prehash: Minisign.prehashFile(file), with: key, trustedComment: trustedComment ?? "file:\(name)\thashed")
        try FileStreams.writeFile(file + ".minisig", Array(signature.fileText.utf8))
    }
}

struct MinisignVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minisign-verify", abstract: "Verify a minisign signature; print the trusted comment.")

    @Option(name: .shortAndLong, help: "The public key file.")
    var publicKey: String
    @Option(name: .shortAndLong, help: "The signature file (default FILE.minisig).")
    var signature: String?
    @Argument(help: "The signed file.")
    var file: String

    func run() async throws {
        let sigPath = signature ?? file + ".minisig"
        for path in [publicKey, sigPath, file] { try requireInput(path) }
        let key = try Minisign.PublicKey(parsing: String(decoding: FileStreams.readSmallFile(publicKey), as: UTF8.self))
        let sig = try Minisign.Signature(parsing: String(decoding: FileStreams.readSmallFile(sigPath), as: UTF8.self))
        try Minisign.verify(sig, prehash: Minisign.prehashFile(file), with: key)
        print("Signature and comment signature verified")
        print("Trusted comment: \(sig.trustedComment)")
    }
}
