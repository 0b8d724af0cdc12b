import Foundation
import HTTPTypes
public import Hummingbird
public import NIOCore
import SealboxCore
import SealboxIntake
public import SealboxStore
import Synchronization

/// The intake endpoint's settings.
public struct IntakeServerConfiguration: Sendable {
    /// The address to listen on: loopback unless told otherwise (TLS belongs to a reverse proxy in front).
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (printed when running).
    public var port = 8080
    /// The largest request body accepted (a submission with base64 attachments).
    public var maxBodyBytes = 16 << 20
    /// Requests per minute allowed from one client address.
    public var requestsPerMinute = 30
    /// Whether to take the client address from `X-Forwarded-For` (only behind a reverse proxy that sets it).
    public var trustForwardedFor = false

    public init() {}
}

/// Each request's context: the connection's peer address, for rate limits and anonymous letters (M2.2.2).
public struct IntakeContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Requests per client address per minute, in memory.
final class RateLimiter: Sendable {
    private let limit: Int
    private let windows = Mutex<[String: (minute: Int64, count: Int)]>([:])

    init(perMinute limit: Int) { self.limit = limit }

    /// Whether `client` may make one more request now.
    func allow(_ client: String, now: Date = Date()) -> Bool {
        let minute = Int64(now.timeIntervalSince1970 / 60)
        return windows.withLock { all in
            if all.count > 100_000 { all = all.filter { $0.value.minute == minute } }
            var entry = all[client] ?? (minute, 0)
            if entry.minute != minute { entry = (minute, 0) }
            entry.count += 1
            all[client] = entry
            return entry.count <= limit
        }
    }
}

/// The intake HTTP endpoint (Hummingbird).
///
/// Web-form submissions in, letter numbers and query codes out, status lookups by number and query code. It seals
/// to the office public key only and holds no secret key: it never unlocks a user (docs/intake.md).
public enum IntakeServer {
    // Valid field names by construction (RFC 9110 tokens); the fallback is never taken.
    static let forwardedFor = HTTPField.Name("X-Forwarded-For") ?? .via
    static let idempotencyKey = HTTPField.Name("Idempotency-Key") ?? .via
    static let queryCode = HTTPField.Name("X-Query-Code") ?? .via

    /// Runs until SIGTERM or SIGINT; `onRunning` gets the port actually bound.
    public static func run(
        store: Store, configuration: IntakeServerConfiguration, onRunning: @escaping @Sendable (Int) -> Void
    ) async throws {
        let app = Application(
            router: router(store: store, configuration: configuration),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) })
        try await app.runService()
    }

    /// The routes: `POST /letters`, `GET /letters/{number}/status` (query code in `X-Query-Code`), `GET /health`.
    public static func router(store: Store, configuration: IntakeServerConfiguration) -> Router<IntakeContext> {
        let router = Router(context: IntakeContext.self)
        let limiter = RateLimiter(perMinute: configuration.requestsPerMinute)
        @Sendable func client(_ request: Request, _ context: IntakeContext) -> String {
            if configuration.trustForwardedFor, let forwarded = request.headers[Self.forwardedFor] {
                return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            }
            return context.remoteAddress?.ipAddress ?? "unknown"
        }
        router.get("health") { _, _ in json(.ok, ["status": "ok"]) }
        // The citizen's pages (no JavaScript; docs/intake.md).
        let challenge = Challenge()
        @Sendable func lang(_ request: Request) -> String {
            request.uri.queryParameters.get("lang") == "en" ? "en" : "zh"
        }
        router.get("/") { request, _ in CitizenPages.form(lang(request), challenge: challenge) }
        router.get("check") { request, _ in CitizenPages.lookupForm(lang(request)) }
        router.post("write") { request, context -> Response in
            var request = request
            let l = lang(request)
            let address = client(request, context)
            guard limiter.allow(address) else {
                return CitizenPages.problem(
                    l, "Too many requests; wait a minute. 請求過多，請稍候再試。", status: .tooManyRequests)
            }
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: configuration.maxBodyBytes) } catch {
                return CitizenPages.problem(l, "The letter is too large. 來信過大。", status: .contentTooLarge)
            }
            let fields: [String: [FormData.Field]]
            do {
                fields = try FormData.parse(Array(buffer: body), contentType: request.headers[.contentType] ?? "")
            } catch let error as MailError {
                return CitizenPages.problem(l, error.reason, status: .badRequest)
            }
            guard
                challenge.check(token: fields["token"]?.first?.text ?? "", answer: fields["answer"]?.first?.text ?? "")
            else {
                return CitizenPages.problem(
                    l, "The answer to the question is wrong or expired: go back and try again. 驗證答案有誤或已過期。",
                    status: .badRequest)
            }
            let submission: WebSubmission
            do {
                let json = try JSONSerialization.data(withJSONObject: CitizenPages.submission(fields))
                submission = try WebSubmission.decode(Array(json))
            } catch let error as SubmissionError {
                return CitizenPages.problem(l, error.description, status: .badRequest)
            } catch {
                return CitizenPages.problem(l, "not a letter", status: .badRequest)
            }
            let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
            let (letter, files) = submission.letter(receivedAt: now, clientAddress: address)
            do {
                let receipt = try store.intake(
                    letter, attachments: files, source: nil, by: Actor(id: "intake.web", roles: [.clerk]), at: now)
                return CitizenPages.confirmation(l, receipt)
            } catch {
                FileHandle.standardError.write(Data("sealbox serve: a registration failed (\(type(of: error)))\n".utf8))
                return CitizenPages.problem(
                    l, "The letter could not be registered; try again. 登記失敗，請重試。", status: .serviceUnavailable)
            }
        }
        router.post("check") { request, context -> Response in
            var request = request
            let l = lang(request)
            guard limiter.allow(client(request, context)) else {
                return CitizenPages.problem(
                    l, "Too many requests; wait a minute. 請求過多，請稍候再試。", status: .tooManyRequests)
            }
            let body = (try? await request.collectBody(upTo: 4096)).map { Array(buffer: $0) } ?? []
            let fields = (try? FormData.parse(body, contentType: "application/x-www-form-urlencoded")) ?? [:]
            let status = try? store.citizenStatus(
                number: fields["number"]?.first?.text ?? "", code: fields["code"]?.first?.text ?? "")
            return CitizenPages.status(l, status ?? nil)
        }
        router.post("letters") { request, context -> Response in
            var request = request
            let address = client(request, context)
            guard limiter.allow(address) else {
                return json(.tooManyRequests, ["error": "too many requests; wait a minute"])
            }
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                return json(.unsupportedMediaType, ["error": "send application/json (docs/intake.md)"])
            }
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: configuration.maxBodyBytes) } catch {
                return json(.contentTooLarge, ["error": "the body is larger than \(configuration.maxBodyBytes) bytes"])
            }
            let submission: WebSubmission
            do { submission = try WebSubmission.decode(Array(buffer: body)) } catch let error as SubmissionError {
                return json(.badRequest, ["error": error.description])
            }
            let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
            let (letter, files) = submission.letter(receivedAt: now, clientAddress: address)
            let idempotency = request.headers[Self.idempotencyKey].map { "web:\($0.prefix(200))" }
            do {
                let receipt = try store.intake(
                    letter, attachments: files, source: idempotency,
                    by: Actor(id: "intake.web", roles: [.clerk]), at: now)
                var answer = ["number": receipt.number.description]
                if let code = receipt.queryCode { answer["query_code"] = code }
                if receipt.duplicate { answer["duplicate"] = "true" }
                return json(receipt.duplicate ? .ok : .created, answer)
            } catch let error as StoreError where error.code == .refused {
                return json(.badRequest, ["error": error.message])
            } catch let error as StoreError where error.code == .busy {
                return json(.serviceUnavailable, ["error": "the store is busy; try again"])
            } catch {
                // The error's type only: its message might carry what was submitted.
                FileHandle.standardError.write(Data("sealbox serve: a registration failed (\(type(of: error)))\n".utf8))
                return json(.internalServerError, ["error": "the letter could not be registered; try again"])
            }
        }
        router.get("letters/:number/status") { request, context -> Response in
            guard limiter.allow(client(request, context)) else {
                return json(.tooManyRequests, ["error": "too many requests; wait a minute"])
            }
            let number = context.parameters.get("number") ?? ""
            let code = request.headers[Self.queryCode] ?? ""
            guard let status = try? store.citizenStatus(number: number, code: code) else {
                return json(.notFound, ["error": "no letter with that number and query code"])
            }
            var answer = [
                "number": status.number.description, "status": status.status.rawValue,
                "received": status.received.description,
            ]
            if let d = status.deadline { answer["due"] = d.description }
            if let d = status.replied { answer["replied"] = d.description }
            if let d = status.closed { answer["closed"] = d.description }
            if let text = status.reply { answer["reply"] = text }
            return json(.ok, answer)
        }
        return router
    }

    /// A JSON object response with sorted keys.
    static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(fields)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
