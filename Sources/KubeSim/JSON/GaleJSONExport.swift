// KubeSim speaks GaleJSON: its objects, patches and responses are `JSONValue`s, so its users get the type with it.
@_exported import GaleJSON
