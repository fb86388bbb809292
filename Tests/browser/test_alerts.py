"""The alerts view: a rule added in the form fires on KubeSim — its alerts appear pending, then
firing, without a reload — and deleting it through the confirmation dialog resolves them. A
viewer sees the alerts and the rules but no form and no delete."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import manifests

NAMESPACE = "browser-alerts"
RULE = "scheduled in browser-alerts"


@pytest.fixture(scope="module")
def scheduled_pods(simulator, cluster_id):
    """Two pods, each with the `Scheduled` event the simulator's scheduler records."""
    simulator.apply(manifests.namespace(NAMESPACE))
    simulator.apply(manifests.deployment("worker", NAMESPACE, replicas=2))
    return NAMESPACE


def scheduled_targets(simulator):
    """`Pod/<namespace>/<name>` of every pod kubectl sees a Scheduled event for."""
    events = simulator.get_json("events", "-n", NAMESPACE)["items"]
    return sorted(f"Pod/{NAMESPACE}/{event['involvedObject']['name']}"
                  for event in events if event["reason"] == "Scheduled")


def rules_named(gateway, token, cluster_id, name):
    """The cluster's alert rules called `name`, as the API lists them."""
    envelope = gateway.api("GET", "/alerts/rules", token, query={"cluster_id": cluster_id, "pageSize": 500})
    assert envelope["code"] == 0, envelope
    return [rule for rule in envelope["data"]["items"] if rule["name"] == name]


def test_a_new_rule_fires_live_and_resolves_when_deleted(console, simulator, gateway, admin_token, cluster_id, scheduled_pods):
    console.wait(lambda _: len(scheduled_targets(simulator)) == 2, message="the pods were not scheduled")
    targets = scheduled_targets(simulator)
    console.go("alerts", cluster_id=cluster_id, namespace=NAMESPACE)
    console.wait(lambda d: d.find_element(By.ID, "alerts-table").get_attribute("data-synced") == "true")
    console.wait(lambda d: d.find_element(By.ID, "alert-rules-table").get_attribute("data-loaded") == "true")
    assert not [row for row in console.alert_rows() if row["rule"] == RULE]
    console.driver.execute_script("window.alertsPageMark = true")  # gone if the page reloads

    console.find("#rule-name").send_keys(RULE)
    Select(console.find("#rule-condition")).select_by_value("event")
    console.find("#rule-reason").send_keys("Scheduled")
    assert console.find("#rule-namespace").get_attribute("value") == NAMESPACE  # the picker's namespace
    for_seconds = console.find("#rule-for")
    for_seconds.clear()
    for_seconds.send_keys("1")
    Select(console.find("#rule-severity")).select_by_value("critical")
    console.click("#rule-create")
    console.find(f'#alert-rules-table tr[data-name="{RULE}"]')
    assert console.driver.find_element(By.ID, "rule-create-status").text == ""

    # Evaluated every second: pending at once, firing after the rule's one second.
    def mine():
        return sorted((row["target"], row["state"], row["severity"]) for row in console.alert_rows() if row["rule"] == RULE)

    expected = [(target, "firing", "critical") for target in targets]
    console.wait(lambda _: mine() == expected, timeout=20, message=lambda: f"alerts shown: {mine()}, expected {expected}")
    events = console.driver.execute_script(
        "return [...document.querySelectorAll('#alert-transitions li')].map(li => [li.dataset.target, li.dataset.event])")
    for target in targets:
        assert [event for (shown, event) in reversed(events) if shown == target] == ["PENDING", "FIRING"], events
    assert [(rule["name"], rule["condition"], rule["reason"], rule["namespace"], rule["for_seconds"])
            for rule in rules_named(gateway, admin_token, cluster_id, RULE)] == [(RULE, "event", "Scheduled", NAMESPACE, 1)]

    console.find(f'#alert-rules-table tr[data-name="{RULE}"] button[data-action="delete"]').click()
    assert console.find("#confirm-title").text == f"Delete alert rule {RULE}?"
    console.click("#confirm-ok")
    console.wait(lambda d: d.find_element(By.ID, "confirm-dialog").get_attribute("data-state") == "closed",
                 message=lambda: console.find("#confirm-error").text)
    console.wait(lambda _: mine() == [], message=lambda: f"alerts still shown: {mine()}")
    console.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#alert-rules-table tr[data-name="{RULE}"]'))
    resolved = console.driver.execute_script(
        "return [...document.querySelectorAll('#alert-transitions li[data-event=RESOLVED]')].map(li => li.dataset.target)")
    assert sorted(resolved) == targets
    assert rules_named(gateway, admin_token, cluster_id, RULE) == []
    assert console.driver.execute_script("return window.alertsPageMark") is True


def test_a_viewer_sees_another_users_rule_fire_but_cannot_change_rules(console, simulator, gateway, admin_token, cluster_id, scheduled_pods):
    name = "scheduled for the viewer"
    console.wait(lambda _: len(scheduled_targets(simulator)) == 2, message="the pods were not scheduled")
    targets = scheduled_targets(simulator)
    console.ensure_signed_in(gateway.token(role="viewer", subject="browser-viewer"))
    console.go("alerts", cluster_id=cluster_id)
    console.wait(lambda d: d.find_element(By.ID, "alerts-table").get_attribute("data-synced") == "true")
    console.wait(lambda d: d.find_element(By.ID, "alert-rules-table").get_attribute("data-loaded") == "true")
    assert not console.driver.find_elements(By.CSS_SELECTOR, "#alert-rule-form, #alert-rules-table button[data-action]")

    # An administrator adds a rule elsewhere: its alerts fire in the viewer's page, and the rule
    # is listed with the first of them.
    created = gateway.api("POST", "/alerts/rules", admin_token, body={
        "name": name, "cluster_id": cluster_id, "condition": "event", "reason": "Scheduled", "namespace": NAMESPACE})
    assert created["code"] == 0, created
    try:
        def mine():
            return sorted((row["target"], row["state"]) for row in console.alert_rows() if row["rule"] == name)

        console.wait(lambda _: mine() == [(target, "firing") for target in targets], timeout=20,
                     message=lambda: f"alerts shown: {mine()}")
        console.find(f'#alert-rules-table tr[data-name="{name}"]')
        assert not console.driver.find_elements(By.CSS_SELECTOR, "#alert-rule-form, #alert-rules-table button[data-action]")
    finally:
        gateway.api("DELETE", f"/alerts/rules/{created['data']['id']}", admin_token)
    console.wait(lambda _: mine() == [], message=lambda: f"alerts still shown: {mine()}")
