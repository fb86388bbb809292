import ArgumentParser
import Foundation

/// `KUBEGALE_*` environment variables, the second source of every option.
struct Environment {
    private let values = ProcessInfo.processInfo.environment

    subscript(name: String) -> String? {
        values["KUBEGALE_" + name].flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("KUBEGALE_\(name) must be an integer, not \"\(text)\"") }
        return value
    }

    func flag(_ name: String) -> Bool {
        guard let text = self[name]?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(text)
    }
}
