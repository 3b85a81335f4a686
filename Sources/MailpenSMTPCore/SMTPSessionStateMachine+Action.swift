extension SMTPSessionStateMachine {
    /// How the caller must frame the next input bytes.
    public enum InputMode: Sendable, Equatable {
        /// CRLF-terminated command lines, fed to ``receive(line:)``.
        case commandLine
        /// CRLF-terminated SASL responses, also fed to ``receive(line:)``.
        case authenticationResponse
        /// DATA content, fed to ``receive(messageBytes:)`` until it reports the end.
        case messageData
        /// `remaining` octets of a BDAT chunk, fed to ``receive(messageBytes:)``.
        case chunk(remaining: Int)
        /// No input is taken now (what arrives waits): a delivery, credential check, stage decision or TLS
        /// handshake is pending.
        case suspended
        /// The session is over.
        case closed
    }

    /// What the caller must do next.
    public enum Action: Sendable {
        /// Nothing to do.
        case none
        /// Send the reply and go on reading.
        case reply(SMTPReply)
        /// Send the replies, then close the connection.
        case replyAndClose([SMTPReply])
        /// Send the reply, discard any input already buffered, and start a TLS handshake; then call
        /// ``tlsEstablished(version:)``.
        case replyAndStartTLS(SMTPReply)
        /// Hand the transaction to the delivery handler, then call ``deliveryCompleted(_:)``.
        case deliver(SMTPTransaction)
        /// Check the credentials, then call ``credentialsChecked(accepted:)`` (or
        /// ``credentialsCouldNotBeChecked()`` when they cannot be checked now).
        case checkCredentials(SMTPCredentials)
        /// Decide whether to interfere at this stage (only with ``Configuration/consultsAtStages``), then call
        /// ``stageDecided(_:)``.
        case consult(SMTPStageCheck)
    }
}
