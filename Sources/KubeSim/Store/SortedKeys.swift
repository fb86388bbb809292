/// The keys (`namespace/name`) of one resource's objects in sorted order, kept up to date on every create and
/// delete, so that a list, a page of a list or a namespace's objects need no sort: the keys of one namespace are
/// one contiguous range (`/` sorts right before `0`, and no name holds a `/`). Insertion is a binary search and
/// one move of the array's tail, cheap next to a sort of 50,000 keys per request.
struct SortedKeys: Sendable {
    private(set) var keys: [String] = []

    init() {}

    init(unsorted: some Sequence<String>) {
        keys = unsorted.sorted()
    }

    var count: Int { keys.count }

    /// The index of the first key that is not less than `key`.
    func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the first key greater than `key`.
    func upperBound(_ key: String) -> Int {
        let index = lowerBound(key)
        return index < keys.count && keys[index] == key ? index + 1 : index
    }

    mutating func insert(_ key: String) {
        let index = lowerBound(key)
        if index < keys.count, keys[index] == key { return }
        keys.insert(key, at: index)
    }

    mutating func remove(_ key: String) {
        let index = lowerBound(key)
        if index < keys.count, keys[index] == key { keys.remove(at: index) }
    }

    /// The positions of one namespace's keys; every position when `namespace` is nil or empty.
    func range(namespace: String?) -> Range<Int> {
        guard let namespace, !namespace.isEmpty else { return 0..<keys.count }
        return lowerBound(namespace + "/")..<lowerBound(namespace + "0")
    }
}
