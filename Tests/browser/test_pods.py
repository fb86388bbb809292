"""The pod table follows the cluster: kubectl changes show up within two seconds."""

import time

import pytest

import manifests

NAMESPACE = "browser-pods"
FOLLOW_DEADLINE = 2.0


@pytest.fixture(scope="module")
def web(simulator, cluster_id):
    simulator.apply(manifests.namespace(NAMESPACE))
    simulator.apply(manifests.deployment("web", NAMESPACE, replicas=1))
    return "web"


def test_the_pod_table_follows_kubectl_scale(console, simulator, cluster_id, web):
    console.go("pods", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait_synced("pods-table")
    console.wait_rows("pods-table", simulator.pod_names(NAMESPACE))

    for replicas in (4, 2, 5):
        simulator.kubectl("scale", "deployment", web, "-n", NAMESPACE, f"--replicas={replicas}")
        console.wait(lambda _: len(simulator.pod_names(NAMESPACE)) == replicas, message="the cluster did not scale")
        settled_at = time.monotonic()
        # Within two seconds of the cluster reaching its new state, the table shows exactly its pods.
        console.wait_rows("pods-table", simulator.pod_names(NAMESPACE),
                          timeout=FOLLOW_DEADLINE - (time.monotonic() - settled_at))

    rows = console.driver.execute_script(
        "return [...document.querySelectorAll('#pods-table tbody tr[data-uid]')].map(r => [r.dataset.uid, r.dataset.name])")
    truth = {item["metadata"]["uid"]: item["metadata"]["name"] for item in simulator.get_json("pods", "-n", NAMESPACE)["items"]}
    assert dict(rows) == truth
    assert console.driver.find_element("id", "pods-table-count").text == str(len(truth))
