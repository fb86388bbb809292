"""Changes made from the console go through the confirmation dialog; deletes and updates show
the preview of the server's dry run (code 1010) before anything changes."""

import pytest
from selenium.webdriver.common.by import By

import manifests

NAMESPACE = "browser-actions"


@pytest.fixture(scope="module")
def objects(simulator, cluster_id):
    simulator.apply(manifests.namespace(NAMESPACE))
    simulator.apply(manifests.pod("scratch", NAMESPACE))
    simulator.apply(manifests.deployment("shop", NAMESPACE, replicas=1))


def dialog_state(console):
    return console.driver.find_element(By.ID, "confirm-dialog").get_attribute("data-state")


def confirm_and_wait(console):
    """Confirms the dialog and waits until the change is done (the dialog closes) or failed."""
    console.click("#confirm-ok")
    state = console.wait(lambda _: dialog_state(console) in ("closed", "error") and dialog_state(console))
    assert state == "closed", console.find("#confirm-error").text


def test_delete_shows_the_dry_run_and_removes_the_row(console, simulator, cluster_id, objects, output_dir):
    console.go("pods", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait_rows("pods-table", simulator.pod_names(NAMESPACE))

    console.row_action("pods-table", "scratch", "delete")
    console.wait(lambda _: dialog_state(console) == "preview", message="no dry-run preview")
    assert console.find("#confirm-title").text == "Delete Pod scratch?"
    deletes = console.driver.find_elements(By.CSS_SELECTOR, '#confirm-preview [data-testid="preview-deletes"] li')
    assert [(item.get_attribute("data-kind"), item.get_attribute("data-name")) for item in deletes] == [("Pod", "scratch")]
    console.driver.save_screenshot(str(output_dir / "delete-preview.png"))
    # Nothing has changed yet: the preview came from a dry run.
    assert "scratch" in simulator.pod_names(NAMESPACE)

    confirm_and_wait(console)
    console.wait(lambda _: "scratch" not in console.row_names("pods-table"), message="the deleted pod's row stayed")
    assert "scratch" not in simulator.pod_names(NAMESPACE)


def test_cancelling_the_dialog_changes_nothing(console, simulator, cluster_id, objects):
    console.go("workloads", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait_rows("deployments-table", ["shop"])
    console.row_action("deployments-table", "shop", "delete")
    console.wait(lambda _: dialog_state(console) == "preview")
    names = console.driver.find_elements(By.CSS_SELECTOR, '#confirm-preview [data-testid="preview-deletes"] li')
    assert ("Deployment", "shop") in [(li.get_attribute("data-kind"), li.get_attribute("data-name")) for li in names]
    console.click("#confirm-cancel")
    console.wait(lambda _: dialog_state(console) == "closed")
    assert simulator.get_json("deployment", "shop", "-n", NAMESPACE)["metadata"]["name"] == "shop"
    assert "shop" in console.row_names("deployments-table")


def test_scale_and_restart_a_deployment(console, simulator, cluster_id, objects, output_dir):
    console.go("workloads", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait_rows("deployments-table", ["shop"])

    console.row_action("deployments-table", "shop", "scale")
    replicas = console.find("#scale-replicas")
    assert replicas.get_attribute("value") == "1"
    replicas.clear()
    replicas.send_keys("3")
    confirm_and_wait(console)
    console.wait(lambda _: simulator.get_json("deployment", "shop", "-n", NAMESPACE)["spec"]["replicas"] == 3,
                 message="the deployment was not scaled")
    # Rolled out (3/3), not merely scaled: the controller's status updates change the object, and a
    # restart previewed while they go on is rightly asked again (1010 "changed since the preview").
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, '#deployments-table tr[data-name="shop"] td:nth-child(2)').text == "3/3",
                 message="the deployment did not roll out to 3/3")

    console.row_action("deployments-table", "shop", "restart")
    console.wait(lambda _: dialog_state(console) == "preview", message="no dry-run preview of the restart")
    changes = [li.text for li in console.driver.find_elements(By.CSS_SELECTOR, '#confirm-preview [data-testid="preview-changes"] li')]
    assert any('kubectl.kubernetes.io/restartedAt' in change for change in changes), changes
    console.driver.save_screenshot(str(output_dir / "restart-preview.png"))
    annotations = simulator.get_json("deployment", "shop", "-n", NAMESPACE)["spec"]["template"]["metadata"].get("annotations") or {}
    assert "kubectl.kubernetes.io/restartedAt" not in annotations  # the dry run changed nothing

    confirm_and_wait(console)
    template = simulator.get_json("deployment", "shop", "-n", NAMESPACE)["spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in template.get("annotations", {})
