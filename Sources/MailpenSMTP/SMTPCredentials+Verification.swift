import Crypto
import Foundation
import MailpenSMTPCore

extension SMTPCredentials {
    /// Whether these credentials prove knowledge of `expected`.
    public func isValid(forPassword expected: String) -> Bool {
        switch self {
        case .password(_, let password):
            return constantTimeEqual(Array(password.utf8), Array(expected.utf8))
        case .challengeResponse(_, let challenge, let digest):
            let key = SymmetricKey(data: Data(expected.utf8))
            let code = HMAC<Insecure.MD5>.authenticationCode(for: Data(challenge.utf8), using: key)
            let hex = code.map { byte in
                let digits = Array("0123456789abcdef".utf8)
                return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
            }.joined()
            return constantTimeEqual(Array(hex.utf8), Array(digest.lowercased().utf8))
        }
    }

    private func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
