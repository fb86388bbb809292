"""A kubeconfig never leaves the gateway: not in a response body, not in its log output."""

import secrets
import time

from gateway import kubeconfig


def test_kubeconfig_never_in_responses_or_logs(gateway, admin_token):
    marker = f"e2e-secret-{secrets.token_hex(12)}"
    second_marker = f"e2e-secret-{secrets.token_hex(12)}"
    bodies = []

    def http(method, path, **kwargs):
        result = gateway.http(method, path, token=admin_token, **kwargs)
        bodies.append(f"HTTP {method} {path}: {result.text}")
        return result

    created = http("POST", "/clusters",
                   body={"name": f"e2e-secret-{secrets.token_hex(3)}",
                         "kubeconfig": kubeconfig(marker)})
    assert created.code == 0, created.text
    cluster_id = created.data["id"]

    http("GET", f"/clusters/{cluster_id}")
    http("GET", "/clusters", query={"pageSize": 500})
    asked = http("PUT", f"/clusters/{cluster_id}", body={"kubeconfig": kubeconfig(second_marker)})
    http("PUT", f"/clusters/{cluster_id}",
         body={"kubeconfig": kubeconfig(second_marker), "confirm_token": asked.data["confirm_token"]})
    # Refusals must not quote the document either.
    http("PUT", f"/clusters/{cluster_id}", body={"kubeconfig": f"token: {marker}\n  bad: [yaml"})
    http("PUT", f"/clusters/{cluster_id}",
         body={"kubeconfig": kubeconfig(marker).replace("current-context: e2e", "current-context: nowhere")})
    http("POST", "/clusters", body={"name": "", "kubeconfig": kubeconfig(marker)})

    with gateway.socket(admin_token, compression="deflate") as session:
        session.request("GET", f"/clusters/{cluster_id}")
        session.request("GET", "/clusters", query={"pageSize": 500})
        session.request("PUT", f"/clusters/{cluster_id}", body={"kubeconfig": kubeconfig(marker)})
        session.request("PUT", f"/clusters/{cluster_id}", body={"kubeconfig": f"{marker}: [unclosed"})
        session.confirmed("DELETE", f"/clusters/{cluster_id}")
        bodies += session.received_texts

    everything = "\n".join(bodies)
    for secret in (marker, second_marker):
        assert secret not in everything, f"{secret} appeared in a response"

    # The last thing done was the delete: once its line is in the file, everything before it is.
    deadline = time.monotonic() + 10
    while "cluster deleted" not in (log := gateway.log_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "cluster deleted" in log, "the server log lacks the delete; the check below would prove nothing"
    for secret in (marker, second_marker):
        assert secret not in log, f"{secret} appeared in the server log ({gateway.log_path})"
