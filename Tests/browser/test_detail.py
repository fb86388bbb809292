"""The detail drawer: an object's YAML, without managedFields, following its changes."""

import pytest

import manifests

NAMESPACE = "browser-detail"
# Values a YAML writer has to quote or write as blocks to keep them strings, unchanged.
TRICKY = {
    "example.com/note": "first line\nsecond line\n",
    "example.com/no-newline": "a\nb",
    "example.com/port": "8080",
    "example.com/flag": "yes",
    "example.com/empty": "",
    "example.com/colon": "key: value",
    "example.com/hash": "#not a comment",
    "example.com/star": "*",
    "example.com/date": "2024-01-01",
    "example.com/padded": "  padded ",
    "example.com/json": '{"a": [1, 2]}',
}


@pytest.fixture(scope="module")
def pod(simulator, cluster_id):
    simulator.apply(manifests.namespace(NAMESPACE))
    simulator.apply(manifests.pod("inspect-me", NAMESPACE, labels={"app": "inspect", "tier": "backend"}, annotations=TRICKY))
    return "inspect-me"


def test_yaml_view_shows_the_object_and_follows_it(console, simulator, cluster_id, pod):
    console.go("pods", cluster_id=cluster_id, namespace=NAMESPACE)
    console.open_detail("pods-table", pod)
    console.find("#detail-yaml")

    def same_version(_):
        """The view's YAML when it shows the version kubectl reads now, with that object."""
        truth = simulator.get_json("pod", pod, "-n", NAMESPACE)
        info, text = console.driver.execute_script(
            "return [document.getElementById('yaml-info').textContent, document.getElementById('detail-yaml').textContent]")
        return info.endswith(f"resourceVersion {truth['metadata']['resourceVersion']}") and (text, truth)

    text, truth = console.wait(same_version, message="the YAML view does not show the pod's current version")
    # Read back by kubectl's YAML parser, the view is the object exactly, managedFields left out.
    document = simulator.parse_yaml(text)
    truth["metadata"].pop("managedFields", None)
    assert document == truth
    assert document["metadata"]["annotations"] == TRICKY

    simulator.kubectl("label", "pod", pod, "-n", NAMESPACE, "reviewed=yes")
    console.wait(lambda _: "reviewed: 'yes'" in console.find("#detail-yaml").text,
                 timeout=5, message="the YAML view did not follow the label")
