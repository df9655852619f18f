import AgentPool
import AgentPoolStores
import Foundation
import Testing

/// Which backend a location names, in a build with the `Postgres` trait and in one without.
@Suite struct StoreLocationTests {
    static let postgresURLs = ["postgres://agent:s3cret@127.0.0.1:1/agents", "POSTGRESQL://agent:s3cret@db.internal/agents"]

    @Test(arguments: postgresURLs)
    func postgresURLsNamePostgresInEveryBuild(_ url: String) {
        #expect(StoreLocation.isPostgres(url))
    }

    @Test(arguments: ["/tmp/agents.sqlite", "agents.sqlite", "postgres.sqlite", "file:///tmp/agents.sqlite"])
    func everythingElseIsASQLitePath(_ location: String) {
        #expect(!StoreLocation.isPostgres(location))
    }

    @Test(arguments: postgresURLs)
    func aPostgresURLIsPrintedWithoutItsPassword(_ url: String) {
        let printed = StoreLocation.redacted(url)
        #expect(!printed.contains("s3cret"), "\(printed)")
        #expect(printed.contains("***"), "\(printed)")
    }

    #if Postgres
    @Test func withTheTraitAPostgresURLReachesThePostgreSQLBackend() async throws {
        // A URL the PostgreSQL backend's own parser refuses: no server is needed to see who answers.
        let error = try await #require(throws: AgentPoolError.self) {
            _ = try await StoreLocation.open("postgres://agent@db.internal/agents?schema=Not-An-Identifier")
        }
        #expect(error.kind == .invalidInput)
        #expect(error.field == "url")
    }
    #else
    @Test(arguments: postgresURLs)
    func withoutTheTraitAPostgresURLIsRefusedNamingTheTraitAndNothingIsCreated(_ url: String) async throws {
        let asynchronous = try await #require(throws: AgentPoolError.self) { _ = try await StoreLocation.open(url) }
        let blocking = try #require(throws: AgentPoolError.self) { _ = try StoreLocation.open(url) as any PoolStore }
        for error in [asynchronous, blocking] {
            #expect(error.kind == .invalidInput)
            #expect(error.field == "location")
            #expect(error.message.contains("built without the Postgres trait: rebuild with --traits Postgres"), "\(error)")
            #expect(!error.message.contains("s3cret"), "\(error)")
        }
        // What SQLite would have created for the URL, relative to the working directory.
        #expect(!FileManager.default.fileExists(atPath: String(url.prefix { $0 != "/" })))
    }
    #endif
}
