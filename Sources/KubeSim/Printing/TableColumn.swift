import GaleJSON

/// One column of a server-printed table: a `meta.k8s.io` `TableColumnDefinition`.
struct TableColumn: Sendable, Equatable {
    /// The title as the apiserver spells it (`Name`, `Nominated Node`); kubectl prints it upper-cased.
    let name: String
    /// The OpenAPI type of the cells: `string`, `integer`, `number`, `boolean` or `date`.
    let type: String
    /// `name` for a column that holds the object's name, otherwise empty.
    let format: String
    /// Priority 0 columns are the default view; priority 1 columns only show with `kubectl get -o wide`.
    let priority: Int
    /// What the column shows.
    let description: String

    init(_ name: String, _ description: String, type: String = "string", format: String = "", priority: Int = 0) {
        self.name = name
        self.type = type
        self.format = format
        self.priority = priority
        self.description = description
    }

    /// The object's name, the first column of most kinds.
    static let name = TableColumn("Name", "Name of the object, unique within its namespace.", format: "name")
    /// Time since creation, in the apiserver's human form.
    static let age = TableColumn("Age", "Time since the object was created.")
    /// Container names of a pod template (wide).
    static let containers = TableColumn("Containers", "Names of each container in the template.", priority: 1)
    /// Container images of a pod template (wide).
    static let images = TableColumn("Images", "Images referenced by each container in the template.", priority: 1)
    /// The label selector (wide).
    static let selector = TableColumn("Selector", "Label selector of the pods the object manages.", priority: 1)

    /// The wire form.
    var json: JSONValue {
        [
            "name": .string(name), "type": .string(type), "format": .string(format),
            "description": .string(description),
            "priority": .int(Int64(priority)),
        ]
    }
}
