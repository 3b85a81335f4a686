import Foundation

/// Locates the repository's `fixtures/mime` corpus from this source file.
enum Fixtures {
    /// The repository root: three levels above this file (Tests/MailpenMIMETests/Fixtures.swift).
    static let repositoryRoot: URL = {
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    static let directory = repositoryRoot.appendingPathComponent("fixtures/mime")

    /// Every `.eml` file name, sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".eml") }.sorted()
    }()

    static func data(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            return []
        }
        return [UInt8](data)
    }
}
