import Foundation

/// The JSON shapes of Mailpit's API v1, field for field as Mailpit spells them (`ID`, `MessageID`,
/// `messages_count` …), so that its clients decode Mailpen's answers unchanged.
enum Mailpit {
    /// `{"Name", "Address"}`, as Go's `net/mail` address.
    struct Address: Codable, Equatable, Sendable {
        var name: String
        var address: String

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case address = "Address"
        }
    }

    /// One entry of a list: the message without bodies, with its attachment count.
    struct MessageSummary: Codable, Equatable, Sendable {
        var id: String
        var messageID: String
        var read: Bool
        var from: Address
        var to: [Address]
        var cc: [Address]
        var bcc: [Address]
        var replyTo: [Address]
        var subject: String
        var created: String
        var username: String?
        var tags: [String]
        var size: Int
        var attachments: Int
        var snippet: String

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case messageID = "MessageID"
            case read = "Read"
            case from = "From"
            case to = "To"
            case cc = "Cc"
            case bcc = "Bcc"
            case replyTo = "ReplyTo"
            case subject = "Subject"
            case created = "Created"
            case username = "Username"
            case tags = "Tags"
            case size = "Size"
            case attachments = "Attachments"
            case snippet = "Snippet"
        }
    }

    /// `GET /api/v1/messages` and `/api/v1/search`. `count` is the length of the page, which Mailpit no
    /// longer documents but still sends, and which older clients require.
    struct MessagesSummary: Codable, Equatable, Sendable {
        var total: Int
        var unread: Int
        var count: Int
        var messagesCount: Int
        var messagesUnread: Int
        var start: Int
        var tags: [String]
        var messages: [MessageSummary]

        enum CodingKeys: String, CodingKey {
            case total, unread, count, start, tags, messages
            case messagesCount = "messages_count"
            case messagesUnread = "messages_unread"
        }
    }

    /// An attachment or inline part of a full message.
    struct Attachment: Codable, Equatable, Sendable {
        var partID: String
        var fileName: String
        var contentType: String
        var contentID: String
        var size: Int
        var checksums: Checksums

        struct Checksums: Codable, Equatable, Sendable {
            var md5: String
            var sha1: String
            var sha256: String

            enum CodingKeys: String, CodingKey {
                case md5 = "MD5"
                case sha1 = "SHA1"
                case sha256 = "SHA256"
            }
        }

        enum CodingKeys: String, CodingKey {
            case partID = "PartID"
            case fileName = "FileName"
            case contentType = "ContentType"
            case contentID = "ContentID"
            case size = "Size"
            case checksums = "Checksums"
        }
    }

    /// The List-Unsubscribe summary of a full message.
    struct ListUnsubscribe: Codable, Equatable, Sendable {
        var header: String
        var headerPost: String
        var links: [String]
        var errors: String

        enum CodingKeys: String, CodingKey {
            case header = "Header"
            case headerPost = "HeaderPost"
            case links = "Links"
            case errors = "Errors"
        }
    }

    /// `GET /api/v1/message/{ID}`: everything but the attachments' bytes.
    struct Message: Codable, Equatable, Sendable {
        var id: String
        var messageID: String
        var from: Address
        var to: [Address]
        var cc: [Address]
        var bcc: [Address]
        var replyTo: [Address]
        var returnPath: String
        var subject: String
        var listUnsubscribe: ListUnsubscribe
        var date: String
        /// Gone from Mailpit's current description, but older Mailpits sent it and clients written then (the
        /// Python `mailpit-api-client`) refuse a message without it.
        var read: Bool
        var tags: [String]
        var username: String?
        var text: String
        var html: String
        var size: Int
        var inline: [Attachment]
        var attachments: [Attachment]

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case messageID = "MessageID"
            case from = "From"
            case to = "To"
            case cc = "Cc"
            case bcc = "Bcc"
            case replyTo = "ReplyTo"
            case returnPath = "ReturnPath"
            case subject = "Subject"
            case listUnsubscribe = "ListUnsubscribe"
            case date = "Date"
            case read = "Read"
            case tags = "Tags"
            case username = "Username"
            case text = "Text"
            case html = "HTML"
            case size = "Size"
            case inline = "Inline"
            case attachments = "Attachments"
        }
    }

    /// `GET /api/v1/message/{ID}/sa-check`.
    struct SpamAssassin: Codable, Equatable, Sendable {
        var error: String
        var isSpam: Bool
        var score: Double
        var rules: [Rule]

        struct Rule: Codable, Equatable, Sendable {
            var name: String
            var score: Double
            var description: String

            enum CodingKeys: String, CodingKey {
                case name = "Name"
                case score = "Score"
                case description = "Description"
            }
        }

        enum CodingKeys: String, CodingKey {
            case error = "Error"
            case isSpam = "IsSpam"
            case score = "Score"
            case rules = "Rules"
        }
    }

    /// `GET /api/v1/message/{ID}/link-check`.
    struct LinkCheck: Codable, Equatable, Sendable {
        var errors: Int
        var links: [Link]

        struct Link: Codable, Equatable, Sendable {
            var url: String
            var statusCode: Int
            var status: String

            enum CodingKeys: String, CodingKey {
                case url = "URL"
                case statusCode = "StatusCode"
                case status = "Status"
            }
        }

        enum CodingKeys: String, CodingKey {
            case errors = "Errors"
            case links = "Links"
        }
    }

    /// `GET /api/v1/message/{ID}/html-check`.
    struct HTMLCheck: Codable, Equatable, Sendable {
        var platforms: [String: [String]]
        var total: Total
        var warnings: [Warning]

        struct Total: Codable, Equatable, Sendable {
            var nodes: Int
            var tests: Int
            var supported: Double
            var partial: Double
            var unsupported: Double

            enum CodingKeys: String, CodingKey {
                case nodes = "Nodes"
                case tests = "Tests"
                case supported = "Supported"
                case partial = "Partial"
                case unsupported = "Unsupported"
            }
        }

        struct Warning: Codable, Equatable, Sendable {
            var slug: String
            var title: String
            var description: String
            var category: String
            var url: String
            var keywords: String
            var tags: [String]
            var notesByNumber: [String: String]
            var results: [Result]
            var score: Score

            enum CodingKeys: String, CodingKey {
                case slug = "Slug"
                case title = "Title"
                case description = "Description"
                case category = "Category"
                case url = "URL"
                case keywords = "Keywords"
                case tags = "Tags"
                case notesByNumber = "NotesByNumber"
                case results = "Results"
                case score = "Score"
            }
        }

        struct Result: Codable, Equatable, Sendable {
            var name: String
            var family: String
            var platform: String
            var version: String
            var support: String
            var noteNumber: String

            enum CodingKeys: String, CodingKey {
                case name = "Name"
                case family = "Family"
                case platform = "Platform"
                case version = "Version"
                case support = "Support"
                case noteNumber = "NoteNumber"
            }
        }

        struct Score: Codable, Equatable, Sendable {
            var found: Int
            var supported: Double
            var partial: Double
            var unsupported: Double

            enum CodingKeys: String, CodingKey {
                case found = "Found"
                case supported = "Supported"
                case partial = "Partial"
                case unsupported = "Unsupported"
            }
        }

        enum CodingKeys: String, CodingKey {
            case platforms = "Platforms"
            case total = "Total"
            case warnings = "Warnings"
        }
    }

    /// `GET /api/v1/info`.
    struct AppInformation: Codable, Equatable, Sendable {
        var version: String
        var latestVersion: String
        var database: String
        var databaseSize: Int
        var messages: Int
        var unread: Int
        var tags: [String: Int]
        var runtimeStats: RuntimeStats

        struct RuntimeStats: Codable, Equatable, Sendable {
            var uptime: Int
            var memory: Int
            var messagesDeleted: Int
            var smtpAccepted: Int
            var smtpAcceptedSize: Int
            var smtpRejected: Int
            var smtpIgnored: Int

            enum CodingKeys: String, CodingKey {
                case uptime = "Uptime"
                case memory = "Memory"
                case messagesDeleted = "MessagesDeleted"
                case smtpAccepted = "SMTPAccepted"
                case smtpAcceptedSize = "SMTPAcceptedSize"
                case smtpRejected = "SMTPRejected"
                case smtpIgnored = "SMTPIgnored"
            }
        }

        enum CodingKeys: String, CodingKey {
            case version = "Version"
            case latestVersion = "LatestVersion"
            case database = "Database"
            case databaseSize = "DatabaseSize"
            case messages = "Messages"
            case unread = "Unread"
            case tags = "Tags"
            case runtimeStats = "RuntimeStats"
        }
    }

    /// `GET /api/v1/webui`: what a Mailpit without relay, chaos or a label reports.
    struct WebUIConfiguration: Codable, Equatable, Sendable {
        var label: String
        var messageRelay: MessageRelay
        var spamAssassin: Bool
        var chaosEnabled: Bool
        var duplicatesIgnored: Bool
        var hideDeleteAllButton: Bool

        struct MessageRelay: Codable, Equatable, Sendable {
            var enabled: Bool
            var smtpServer: String
            var returnPath: String
            var allowedRecipients: String
            var blockedRecipients: String
            var overrideFrom: String
            var preserveMessageIDs: Bool

            enum CodingKeys: String, CodingKey {
                case enabled = "Enabled"
                case smtpServer = "SMTPServer"
                case returnPath = "ReturnPath"
                case allowedRecipients = "AllowedRecipients"
                case blockedRecipients = "BlockedRecipients"
                case overrideFrom = "OverrideFrom"
                case preserveMessageIDs = "PreserveMessageIDs"
            }
        }

        enum CodingKeys: String, CodingKey {
            case label = "Label"
            case messageRelay = "MessageRelay"
            case spamAssassin = "SpamAssassin"
            case chaosEnabled = "ChaosEnabled"
            case duplicatesIgnored = "DuplicatesIgnored"
            case hideDeleteAllButton = "HideDeleteAllButton"
        }
    }

    /// `POST /api/v1/send`'s answer.
    struct SendConfirmation: Codable, Equatable, Sendable {
        var id: String

        enum CodingKeys: String, CodingKey {
            case id = "ID"
        }
    }

    /// Mailpit's JSON error (the send route's 400).
    struct JSONError: Codable, Equatable, Sendable {
        var error: String

        enum CodingKeys: String, CodingKey {
            case error = "Error"
        }
    }

    /// One frame of `/api/events`: `{"Type": "new", "Data": …}`.
    struct Event<Payload: Encodable & Sendable>: Encodable, Sendable {
        var type: String
        var data: Payload?

        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case data = "Data"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            if let data {
                try container.encode(data, forKey: .data)
            } else {
                try container.encodeNil(forKey: .data)
            }
        }
    }
}
