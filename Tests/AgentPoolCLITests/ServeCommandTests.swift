import AgentPool
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `agentpool serve` as a real process: its refusals at start, and a console that answers and
/// stops on SIGTERM.
@Suite struct ServeCommandTests {
    @Test(arguments: ["0.0.0.0", "10.1.2.3"])
    func aPublicHostWithoutATokenExitsNonZeroSayingWhy(_ host: String) async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let result = try await cli.run(["serve", "--host", host, "--port", "0"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("refusing to listen on \(host) without a token"), "\(result)")
    }

    @Test func tokenAndTokenFileAreExclusive() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let result = try await cli.run(["serve", "--token", "a", "--token-file", "/dev/null"])
        #expect(result.status == 2, "\(result)")
    }

    @Test func aMissingDatabaseIsRefusedAndNotCreated() async throws {
        let cli = try CLIHarness()
        let result = try await cli.run(["serve", "--port", "0"])
        #expect(result.status == 1, "\(result)")
        #expect(try cli.files().isEmpty)
    }

    @Test func servePrintsItsURLAnswersWithTheTokenAndStopsOnSIGTERM() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let tokenFile = cli.directory.path + "/token"
        try "file-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let server = try cli.start(["serve", "--port", "0", "--token-file", tokenFile])
        let line = try #require(await server.line { $0.contains(#""url""#) })
        let url = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])?["url"])

        var request = URLRequest(url: try #require(URL(string: url + "/api/pools")))
        let (_, refused) = try await URLSession.shared.data(for: request)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401)
        request.setValue("Bearer file-token", forHTTPHeaderField: "Authorization")
        let (body, accepted) = try await URLSession.shared.data(for: request)
        #expect((accepted as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""pool_id":"p""#))

        server.send(signal: SIGTERM)
        let result = await server.wait()
        #expect(result.status == 0, "\(result.stderr)")
    }
}
