#if canImport(Glibc)
    import Glibc
#endif
import SealboxCLI

@main
struct Entrypoint {
    static func main() async {
        exit(await SealboxCommand.runMain())
    }
}
