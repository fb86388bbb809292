/// The syntax of parameters that end up in an upstream URL, checked before any URL is built:
/// a namespace is a DNS-1123 label, an object name a valid path segment (as the apiserver's own
/// `IsValidPathSegmentName`: not `.` or `..`, no `/` or `%`), and selectors follow Kubernetes'
/// grammar — so a bad one is the caller's 1001 rather than an upstream failure.
enum ParameterSyntax {
    /// Parameters holding an object name that becomes a path segment.
    static let nameParameters: Set<String> = ["name", "pod", "node", "container", "resource_name"]

    /// Throws 1001 when the parameter `name` has a value its kind does not allow.
    static func check(_ name: String, _ value: String) throws(APIError) {
        switch name {
        case "namespace":
            guard value.isEmpty || isLabel(value) else {
                throw .invalidArgument(
                    "parameter \"namespace\" must be a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
            }
        case "labelSelector":
            if let problem = LabelSelectorSyntax.problem(in: value) {
                throw .invalidArgument("parameter \"labelSelector\" is not a label selector: \(problem)")
            }
        case "fieldSelector":
            if let problem = fieldSelectorProblem(value) {
                throw .invalidArgument("parameter \"fieldSelector\" is not a field selector: \(problem)")
            }
        case _ where nameParameters.contains(name):
            if let problem = pathSegmentProblem(value) {
                throw .invalidArgument("parameter \"\(name)\" \(problem)")
            }
        default:
            break
        }
    }

    /// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    static func isLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// Why `text` cannot be one path segment of an object's URL, or `nil` when it can.
    static func pathSegmentProblem(_ text: String) -> String? {
        if text == "." || text == ".." { return "may not be \"\(text)\"" }
        if text.utf8.count > 253 { return "is longer than 253 characters" }
        if text.contains("/") || text.contains("%") { return "may not contain '/' or '%'" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "may not contain control characters"
        }
        return nil
    }

    /// A field selector: `key=value`, `key==value` or `key!=value` terms joined by commas, with
    /// `\` escaping `,`, `=`, `!` and `\` in values (Kubernetes' `fields.ParseSelector`).
    static func fieldSelectorProblem(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if escaped { return "it ends in an unfinished escape" }
        terms.append(current)
        for term in terms {
            guard let equals = term.firstIndex(of: "=") else { return "\"\(term)\" has no operator" }
            var key = term[..<equals]
            if key.hasSuffix("!") { key = key.dropLast() }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "._-/".contains($0) }) else {
                return "\"\(term)\" has no valid field name"
            }
        }
        return nil
    }

    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
