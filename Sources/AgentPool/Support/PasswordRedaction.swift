/// Keeps secrets out of what the library prints: locations and driver messages may hold a URL
/// with a password in it.
package enum PasswordRedaction {
    /// `text` with the password of any `scheme://user:password@` in it replaced by `***`; text
    /// without one is returned unchanged.
    package static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let credentials = rest[..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(rest[at...])
    }
}
