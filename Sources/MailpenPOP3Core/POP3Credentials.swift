import MailpenSASL

/// What a POP3 client presented to log in, from USER/PASS or AUTH PLAIN, for the caller to check.
public typealias POP3Credentials = LoginCredentials
