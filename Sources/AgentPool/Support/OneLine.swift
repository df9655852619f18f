import Foundation

extension String {
    /// The text with every line break folded into one space and the whitespace around it
    /// trimmed, blank lines dropped: an error message always prints as one line.
    package var foldedToOneLine: String {
        split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
