/// The token check: a request's credential against the configured token, in constant time.
enum TokenCheck {
    /// The name of the cookie the login form sets.
    static let cookieName = "agentpool_token"

    /// Whether `candidate` equals `token`, comparing every byte whatever the first difference
    /// (the time taken depends only on the lengths).
    static func matches(_ candidate: String, _ token: String) -> Bool {
        let a = Array(candidate.utf8), b = Array(token.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0
    }

    /// The cookie value for `token`: its UTF-8 bytes in hex, so that any token is a valid cookie.
    static func cookieValue(_ token: String) -> String {
        token.utf8.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }
}
