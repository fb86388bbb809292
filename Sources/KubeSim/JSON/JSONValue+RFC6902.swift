import Foundation
import GaleJSON

extension JSONValue {
    /// This document with the RFC 6902 JSON patch `patch` applied (`add`, `remove`, `replace`, `move`, `copy`, `test`).
    public func jsonPatched(with patch: JSONValue) throws(KubeStatusError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw .badRequest("json patch must be an array of operations")
        }
        var document = self
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw .badRequest("json patch operation needs \"op\" and \"path\"")
            }
            let pointer = try Self.parsePointer(path)
            switch op {
            case "add":
                document = try Self.set(document, pointer, operation["value"] ?? .null, inserting: true)
            case "replace":
                _ = try Self.target(document, pointer)
                document = try Self.set(document, pointer, operation["value"] ?? .null, inserting: false)
            case "remove":
                document = try Self.remove(document, pointer)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw .badRequest("\(op) needs \"from\"") }
                let source = try Self.parsePointer(from)
                let moved = try Self.target(document, source)
                if op == "move" { document = try Self.remove(document, source) }
                document = try Self.set(document, pointer, moved, inserting: true)
            case "test":
                guard try Self.target(document, pointer) == (operation["value"] ?? .null) else {
                    throw KubeStatusError(code: 422, reason: "Invalid", message: "testing value \(path) failed")
                }
            default:
                throw .badRequest("Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func parsePointer(_ path: String) throws(KubeStatusError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw .badRequest("invalid JSON pointer \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func target(_ document: JSONValue, _ pointer: [String]) throws(KubeStatusError) -> JSONValue {
        var current = document
        for token in pointer {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw missing(pointer) }
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else { throw missing(pointer) }
                current = elements[index]
            default:
                throw missing(pointer)
            }
        }
        return current
    }

    private static func missing(_ pointer: [String]) -> KubeStatusError {
        KubeStatusError(
            code: 422, reason: "Invalid",
            message: "the server rejected our request due to an error in our request: doc is missing path: \"/\(pointer.joined(separator: "/"))\"")
    }

    private static func set(_ document: JSONValue, _ pointer: [String], _ newValue: JSONValue, inserting: Bool) throws(KubeStatusError)
        -> JSONValue
    {
        guard let token = pointer.first else { return newValue }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[token] = newValue
            } else {
                guard let child = members[token] else { throw missing(pointer) }
                members[token] = try set(child, rest, newValue, inserting: inserting)
            }
            return .object(members)
        case .array(var elements):
            if rest.isEmpty {
                if token == "-" {
                    elements.append(newValue)
                } else if let index = Int(token), index >= 0, index <= elements.count {
                    if inserting {
                        elements.insert(newValue, at: index)
                    } else {
                        guard index < elements.count else { throw missing(pointer) }
                        elements[index] = newValue
                    }
                } else {
                    throw missing(pointer)
                }
            } else {
                guard let index = Int(token), elements.indices.contains(index) else { throw missing(pointer) }
                elements[index] = try set(elements[index], rest, newValue, inserting: inserting)
            }
            return .array(elements)
        default:
            throw missing(pointer)
        }
    }

    private static func remove(_ document: JSONValue, _ pointer: [String]) throws(KubeStatusError) -> JSONValue {
        guard let token = pointer.first else { throw .badRequest("cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            guard let child = members[token] else { throw missing(pointer) }
            members[token] = rest.isEmpty ? nil : .some(try remove(child, rest))
            return .object(members)
        case .array(var elements):
            guard let index = Int(token), elements.indices.contains(index) else { throw missing(pointer) }
            if rest.isEmpty {
                elements.remove(at: index)
            } else {
                elements[index] = try remove(elements[index], rest)
            }
            return .array(elements)
        default:
            throw missing(pointer)
        }
    }
}
