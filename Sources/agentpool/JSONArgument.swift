import AgentPool
import Foundation

/// A JSON value given on the command line (`--body '{"a":1}'`) or in a file (`--body-file F`,
/// `-` for standard input).
enum JSONArgument {
    /// The value of `inline` or of the file at `file`; nil when neither is given.
    ///
    /// - Throws: `CLIError.input` naming `option` when the text is not one JSON value or the file
    ///   cannot be read (exit 1, nothing written).
    static func value(inline: String?, file: String?, option: String) throws -> JSONValue? {
        let data: Data
        if let inline {
            data = Data(inline.utf8)
        } else if let file {
            do {
                data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                                   : try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw CLIError.input("\(option): cannot read \(file): \(error.localizedDescription)")
            }
        } else {
            return nil
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw CLIError.input("\(option) is not a JSON value (a string needs its quotes, e.g. '\"hello\"')")
        }
    }
}
