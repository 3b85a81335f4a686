import MailpenHTTP
import MailpenIMAP
import MailpenIMAPCore
import MailpenListener
import MailpenPOP3
import MailpenPOP3Core
import MailpenStore
import NIOCore
import NIOSSL

extension MailpenServer {
    /// Starts the POP3 and IMAP servers that are configured.
    func startMailAccess(store: any MailpenStore, tlsContext: NIOSSLContext?) async throws {
        let authentication = InboxAuthentication(
            store: store, policy: configuration.authenticationPolicy, logger: logger)
        if configuration.pop3Port != nil || configuration.pop3sPort != nil {
            var session = POP3SessionStateMachine.Configuration(
                hostname: configuration.hostname,
                allowsPlaintextAuthentication: configuration.allowPlaintextLogin)
            session.deletionMode = configuration.pop3DeletionMode == .delete ? .delete : .markRead
            let server = POP3Server(
                configuration: .init(
                    host: configuration.pop3Host, port: configuration.pop3Port,
                    implicitTLSHost: configuration.pop3sHost, implicitTLSPort: configuration.pop3sPort,
                    tlsContext: tlsContext, session: session, maximumConnections: configuration.maximumConnections),
                backend: StorePOP3Backend(store: store, authentication: authentication, logger: logger),
                logger: logger)
            pop3 = server
            try await server.start()
            pop3Address = await server.plainAddress
            pop3sAddress = await server.implicitTLSAddress
        }
        if configuration.imapPort != nil || configuration.imapsPort != nil {
            let watcher = MailboxWatcher(store: store, logger: logger)
            let session = IMAPSessionStateMachine.Configuration(
                hostname: configuration.hostname,
                allowsPlaintextAuthentication: configuration.allowPlaintextLogin)
            let server = IMAPServer(
                configuration: .init(
                    host: configuration.imapHost, port: configuration.imapPort,
                    implicitTLSHost: configuration.imapsHost, implicitTLSPort: configuration.imapsPort,
                    tlsContext: tlsContext, session: session, maximumConnections: configuration.maximumConnections),
                backend: StoreIMAPBackend(
                    store: store, authentication: authentication, watcher: watcher, logger: logger),
                logger: logger)
            imap = server
            mailboxWatcher = watcher
            try await server.start()
            imapAddress = await server.plainAddress
            imapsAddress = await server.implicitTLSAddress
        }
    }

    /// Says goodbye to every POP3 and IMAP session and closes the listeners.
    func stopMailAccess() async {
        if let pop3 {
            await pop3.shutdown()
            self.pop3 = nil
        }
        if let imap {
            await imap.shutdown()
            self.imap = nil
        }
        mailboxWatcher?.stop()
        mailboxWatcher = nil
    }

    /// What the inbox API tells users about a mail-access server, if it runs.
    func mailAccessAdvertisement(plain: SocketAddress?, implicitTLS: SocketAddress?) -> MailAccessAdvertisement? {
        guard plain != nil || implicitTLS != nil else { return nil }
        let host = plain.flatMap(\.ipAddress) ?? implicitTLS.flatMap(\.ipAddress) ?? configuration.hostname
        return MailAccessAdvertisement(
            host: advertisedHost(host), port: plain?.port, startTLS: configuration.tls != .off && plain != nil,
            implicitTLSPort: implicitTLS?.port)
    }

    /// The host to tell clients: a listener on every address is reached by the server's name.
    func advertisedHost(_ listeningHost: String) -> String {
        ["0.0.0.0", "::", ""].contains(listeningHost) ? configuration.hostname : listeningHost
    }
}
