"""The page outlives its connection: a dropped socket resumes its session with every missed
event replayed in order, and a restarted gateway is caught up with without a reload."""

import pytest

import manifests

pytestmark = pytest.mark.disruptive

RESUME_NAMESPACE = "browser-resume"
RESTART_NAMESPACE = "browser-restart"


def pod_frames(frames, channel):
    return [frame for frame in frames if frame.get("channel") == channel and frame["type"] in ("event", "synced", "resync")]


def test_a_dropped_socket_resumes_without_losing_an_event(console, simulator, cluster_id):
    simulator.apply(manifests.namespace(RESUME_NAMESPACE))
    simulator.apply(manifests.deployment("flow", RESUME_NAMESPACE, replicas=2))
    console.go("pods", cluster_id=cluster_id, namespace=RESUME_NAMESPACE)
    console.wait_synced("pods-table")
    console.wait_rows("pods-table", simulator.pod_names(RESUME_NAMESPACE))
    console.wait(lambda _: len(simulator.pod_names(RESUME_NAMESPACE)) == 2)
    console.wait_rows("pods-table", simulator.pod_names(RESUME_NAMESPACE))

    session = console.diagnostics("client.session")
    # One script, so that no frame slips in between the last seq and the start of the recording.
    before = console.driver.execute_script("window.kubegale.recordFrames(); return window.kubegale.collections().pods")

    # The network goes away with the socket; the cluster changes meanwhile.
    console.driver.execute_script("window.kubegale.setOffline(true); window.kubegale.dropSocket();")
    console.wait(lambda _: console.connection_state() == "reconnecting", message="the drop went unnoticed")
    simulator.kubectl("scale", "deployment", "flow", "-n", RESUME_NAMESPACE, "--replicas=5")
    console.wait(lambda _: len(simulator.pod_names(RESUME_NAMESPACE)) == 5, message="the cluster did not scale")
    assert console.connection_state() == "reconnecting"
    assert sorted(console.row_names("pods-table")) != simulator.pod_names(RESUME_NAMESPACE)

    # Back online: the same session resumes and the missed events arrive.
    console.driver.execute_script("window.kubegale.setOffline(false)")
    console.wait(lambda _: console.connection_state() == "resumed", timeout=20,
                 message=f"the session was not resumed: {console.connection_state()}")
    console.wait_rows("pods-table", simulator.pod_names(RESUME_NAMESPACE), timeout=5)
    assert console.diagnostics("client.session") == session

    after = console.diagnostics("collections().pods")
    assert after["channel"] == before["channel"]
    frames = console.diagnostics("frames()")
    # The new socket's own hello, then the one answering the resume: the same session as before.
    hellos = [frame["session"] for frame in frames if frame["type"] == "hello"]
    assert hellos[-1] == session, hellos
    seqs = [frame["seq"] for frame in pod_frames(frames, before["channel"]) if frame["type"] == "event"]
    # Every event after the last one seen before the drop, once each, in order: no gap, no repeat.
    assert seqs == list(range(before["lastSeq"] + 1, after["lastSeq"] + 1)), (before, after, seqs)
    assert len(seqs) >= 3  # at least the three new pods were replayed
    assert not [frame for frame in pod_frames(frames, before["channel"]) if frame["type"] == "resync"]


def test_the_page_catches_up_with_a_restarted_gateway(console, gateway, simulator, cluster_id):
    simulator.apply(manifests.namespace(RESTART_NAMESPACE))
    for name in ("keeper", "doomed"):
        simulator.apply(manifests.pod(name, RESTART_NAMESPACE))
    console.go("pods", cluster_id=cluster_id, namespace=RESTART_NAMESPACE)
    console.wait_rows("pods-table", ["doomed", "keeper"])
    console.driver.execute_script("window.notReloaded = true")

    gateway.stop()
    console.wait(lambda _: console.connection_state() == "reconnecting", message="the page did not notice the restart")
    # While the gateway is away: one pod goes, another comes.
    simulator.kubectl("delete", "pod", "doomed", "-n", RESTART_NAMESPACE, "--wait=true")
    simulator.apply(manifests.pod("newcomer", RESTART_NAMESPACE))
    assert sorted(console.row_names("pods-table")) == ["doomed", "keeper"]

    gateway.start()
    console.wait_connected(timeout=20)
    console.wait_rows("pods-table", ["keeper", "newcomer"], timeout=10)
    assert simulator.pod_names(RESTART_NAMESPACE) == ["keeper", "newcomer"]
    assert console.driver.execute_script("return window.notReloaded") is True
    assert console.find("#connection").get_attribute("data-state") in ("connected", "resumed")
