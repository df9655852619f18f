#if !Postgres
import Foundation
import Testing

/// The CLI built without the `Postgres` trait, given a PostgreSQL URL.
@Suite struct WithoutPostgresTraitCLITests {
    @Test func aPostgresURLExitsOneNamingTheTraitWithoutThePassword() async throws {
        let cli = try CLIHarness(database: "postgres://agent:s3cret@127.0.0.1:1/agents")
        let result = try await cli.run(["pools"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.contains("built without the Postgres trait: rebuild with --traits Postgres"), "\(result)")
        #expect(!result.stderr.contains("s3cret"), "\(result)")
    }
}
#endif
