extension JSONValue {
    /// The value reached by following `path`, a list of object member names, or `nil` when a
    /// member is missing or a value on the way is not an object.
    ///
    /// Setting creates the objects on the way (a value on the way that is not an object is
    /// replaced by one); setting `nil` removes the last member; an empty path replaces the whole
    /// value (`nil` making it `null`).
    public subscript(path path: [String]) -> JSONValue? {
        get {
            var current: JSONValue? = self
            for key in path {
                guard let value = current else { return nil }
                current = value[key]
            }
            return current
        }
        set {
            guard let first = path.first else {
                self = newValue ?? .null
                return
            }
            guard path.count > 1 else {
                self[first] = newValue
                return
            }
            var child = self[first] ?? .object([:])
            child[path: Array(path.dropFirst())] = newValue
            self[first] = child
        }
    }
}
