import KubeClient

/// Catalog entries for tests whose files also import KubeSim (which has a catalog of its own).
enum ResourceCatalogLookup {
    static let configMaps = ResourceCatalog.standard.resource(named: "configmaps")
    static let pods = ResourceCatalog.standard.resource(named: "pods")
}
