import SealboxCLI

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Entrypoint {
    static func main() async {
        exit(await SealboxCommand.runMain())
    }
}
