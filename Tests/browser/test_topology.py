"""The topology view draws the namespace's graph and follows it: the demo's ownership chains and
Service → Pod edges as kubectl sees them, and pods that a `kubectl scale` adds or removes appear
and go without a reload."""

import pytest

import manifests

NAMESPACE = "browser-topology"


@pytest.fixture(scope="module")
def shop(simulator, cluster_id):
    simulator.apply(manifests.namespace(NAMESPACE))
    simulator.apply(manifests.deployment("shop", NAMESPACE, replicas=2))
    simulator.apply(manifests.service("shop", NAMESPACE))
    return "shop"


def owner_edges(simulator, namespace):
    """`(owner id, "owns", object id)` of the namespace's ReplicaSets and Pods, from kubectl."""
    edges = set()
    for resource in ("replicasets", "pods"):
        for item in simulator.get_json(resource, "-n", namespace)["items"]:
            for owner in item["metadata"].get("ownerReferences", []):
                edges.add((f"{owner['kind']}/{namespace}/{owner['name']}", "owns",
                           f"{item['kind']}/{namespace}/{item['metadata']['name']}"))
    return edges


def test_the_demo_topology_shows_deployment_replicaset_pod_chains_and_service_edges(console, simulator, cluster_id):
    console.go("topology", cluster_id=cluster_id, namespace="demo")
    console.wait_topology_synced()
    # The demo's pods may still be starting when the suite begins: wait for kubectl's truth.
    truth = owner_edges(simulator, "demo")
    console.wait(lambda _: console.topology_edges("owns") >= truth,
                 message=lambda: f"owner edges {sorted(truth - console.topology_edges('owns'))} not drawn")

    deployment = "Deployment/demo/nginx"
    replica_sets = {to for (frm, _, to) in truth if frm == deployment}
    assert len(replica_sets) == 1, replica_sets
    replica_set = replica_sets.pop()
    pods = {to for (frm, _, to) in truth if frm == replica_set}
    assert len(pods) == 3, pods
    # Service nginx selects exactly the pods of its deployment.
    selected = {to for (frm, _, to) in console.topology_edges("selects") if frm == "Service/demo/nginx"}
    assert selected == pods

    nodes = {node["id"]: node for node in console.topology_nodes()}
    assert nodes[deployment]["status"] == "3/3"
    assert nodes[deployment]["title"] == "Deployment demo/nginx: 3/3"
    for pod in pods:
        assert nodes[pod]["kind"] == "Pod"
        assert nodes[pod]["status"] == "Running"
    # Columns: the Service left of the Deployment, left of its ReplicaSet, left of its pods.
    x = console.driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#topology-graph g.topology-node')]"
        ".map(g => [g.dataset.id, g.transform.baseVal.consolidate().matrix.e]))")
    assert x["Service/demo/nginx"] < x[deployment] < x[replica_set] < min(x[pod] for pod in pods)


def test_scaled_pods_appear_and_go_live(console, simulator, cluster_id, shop):
    console.go("topology", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait_topology_synced()
    console.driver.execute_script("window.topologyPageMark = true")  # gone if the page reloads

    def drawn_pods():
        return sorted(node["name"] for node in console.topology_nodes("Pod"))

    def selected_pods():
        return sorted(to.rsplit("/", 1)[1] for (frm, _, to) in console.topology_edges("selects")
                      if frm == f"Service/{NAMESPACE}/{shop}")

    for replicas in (2, 4, 1):
        if replicas != 2:
            simulator.kubectl("scale", "deployment", shop, "-n", NAMESPACE, f"--replicas={replicas}")
        console.wait(lambda _: len(simulator.pod_names(NAMESPACE)) == replicas, message="the cluster did not scale")
        expected = simulator.pod_names(NAMESPACE)
        console.wait(lambda _: drawn_pods() == expected and selected_pods() == expected,
                     message=lambda: f"graph shows pods {drawn_pods()} selected {selected_pods()}, expected {expected}")
        owned = owner_edges(simulator, NAMESPACE)
        console.wait(lambda _: console.topology_edges("owns") == owned,
                     message=lambda: f"owner edges {sorted(console.topology_edges('owns'))}, expected {sorted(owned)}")
        console.wait(lambda _: console.topology_nodes("Deployment")[0]["status"] == f"{replicas}/{replicas}",
                     message=lambda: f"deployment status {console.topology_nodes('Deployment')}")

    assert console.driver.execute_script("return window.topologyPageMark") is True
    summary = console.find("#topology-summary").text
    assert "1 Pod" in summary and "1 Deployment" in summary, summary


def test_the_graph_around_one_workload_leaves_the_others_out(console, cluster_id):
    console.go("topology", cluster_id=cluster_id, namespace="demo")
    console.wait_topology_synced()
    console.wait(lambda d: d.find_elements("css selector", '#topology-focus option[value="Deployment/api"]'),
                 message="no focus option for Deployment api")
    console.driver.execute_script(
        "const s = document.getElementById('topology-focus'); s.value = 'Deployment/api';"
        "s.dispatchEvent(new Event('change'))")
    console.wait(lambda d: d.find_element("id", "topology-graph").get_attribute("data-focus") == "Deployment/api"
                 and d.find_element("id", "topology-graph").get_attribute("data-synced") == "true")
    console.wait(lambda _: {node["kind"] for node in console.topology_nodes()} >= {"Deployment", "ReplicaSet", "Pod", "Service"},
                 message=lambda: f"kinds drawn: {[node['id'] for node in console.topology_nodes()]}")
    deployments = [node["name"] for node in console.topology_nodes("Deployment")]
    assert deployments == ["api"]
    assert not [node for node in console.topology_nodes("Pod") if node["name"].startswith("nginx")]
