"""Cluster registry CRUD (seed §1.1–1.5): HTTP routes and WebSocket request frames agree."""

import secrets

import pytest

from gateway import kubeconfig

PUBLIC_FIELDS = {"id", "name", "description", "status", "version", "created_at"}


def unique(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def ws(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        yield session


def test_create_over_http_read_over_ws_and_back(gateway, admin_token, ws):
    name = unique("e2e-crud")
    created = gateway.http(
        "POST", "/clusters", token=admin_token,
        body={"name": name, "description": "made over HTTP", "kubeconfig": kubeconfig("crud-token")},
    )
    assert created.status == 200 and created.code == 0, created.text
    assert created.envelope["msg"] == "success"
    cluster = created.data
    assert PUBLIC_FIELDS <= set(cluster), cluster
    assert "kubeconfig" not in cluster
    assert cluster["name"] == name and cluster["description"] == "made over HTTP"
    cluster_id = cluster["id"]

    over_ws = ws.request("GET", f"/clusters/{cluster_id}")
    assert over_ws["code"] == 0 and over_ws["msg"] == "success"
    assert over_ws["data"] == cluster

    updated = ws.confirmed("PUT", f"/clusters/{cluster_id}", body={"description": "changed over WS"})
    assert updated["code"] == 0, updated
    assert updated["data"]["description"] == "changed over WS"
    assert updated["data"]["name"] == name

    over_http = gateway.http("GET", f"/clusters/{cluster_id}", token=admin_token)
    assert over_http.code == 0
    assert over_http.data == updated["data"]

    renamed = gateway.confirmed("PUT", f"/clusters/{cluster_id}", token=admin_token, body={"name": name + "-renamed"})
    assert renamed.code == 0, renamed.text
    assert ws.request("GET", f"/clusters/{cluster_id}")["data"]["name"] == name + "-renamed"

    deleted = ws.confirmed("DELETE", f"/clusters/{cluster_id}")
    assert deleted["code"] == 0, deleted
    gone = gateway.http("GET", f"/clusters/{cluster_id}", token=admin_token)
    assert gone.status == 404 and gone.code == 1002
    assert ws.request("GET", f"/clusters/{cluster_id}")["code"] == 1002


def test_create_over_ws_read_and_delete_over_http(gateway, admin_token, ws):
    name = unique("e2e-ws-first")
    created = ws.request("POST", "/clusters", body={"name": name, "kubeconfig": kubeconfig("ws-token")})
    assert created["code"] == 0, created
    cluster_id = created["data"]["id"]

    listed = gateway.http("GET", "/clusters", token=admin_token, query={"keyword": name})
    assert listed.code == 0
    assert [item["id"] for item in listed.data["items"]] == [cluster_id]
    assert listed.data["items"][0] == created["data"]

    deleted = gateway.confirmed("DELETE", f"/clusters/{cluster_id}", token=admin_token)
    assert deleted.code == 0, deleted.text
    assert ws.request("GET", "/clusters", query={"keyword": name})["data"]["total"] == 0


def test_list_paging_and_keyword_agree_over_both_transports(gateway, admin_token, ws):
    prefix = unique("e2e-page")
    ids = []
    for index in range(5):
        created = gateway.http(
            "POST", "/clusters", token=admin_token,
            body={"name": f"{prefix}-{index}", "kubeconfig": kubeconfig(f"page-{index}")},
        )
        assert created.code == 0, created.text
        ids.append(created.data["id"])
    try:
        seen = []
        for page in (1, 2, 3):
            query = {"keyword": prefix, "page": page, "pageSize": 2}
            over_http = gateway.http("GET", "/clusters", token=admin_token, query=query).data
            over_ws = ws.request("GET", "/clusters", query=query)["data"]
            assert over_http == over_ws
            assert over_http["total"] == 5
            assert over_http["page"] == page and over_http["pageSize"] == 2
            assert len(over_http["items"]) == (2 if page < 3 else 1)
            seen += [item["id"] for item in over_http["items"]]
        assert sorted(seen) == sorted(ids), "pages overlap or miss items"

        as_path_query = ws.request("GET", f"/clusters?keyword={prefix}-3")["data"]
        assert [item["name"] for item in as_path_query["items"]] == [f"{prefix}-3"]
        assert ws.request("GET", "/clusters", query={"keyword": unique("nothing")})["data"]["total"] == 0
    finally:
        for cluster_id in ids:
            gateway.confirmed("DELETE", f"/clusters/{cluster_id}", token=admin_token)


@pytest.mark.parametrize(
    "query",
    [{"page": 0}, {"pageSize": 0}, {"pageSize": 100000}, {"page": "two"}],
    ids=["page-0", "pageSize-0", "pageSize-huge", "page-not-a-number"],
)
def test_bad_paging_parameters_get_1001(gateway, admin_token, ws, query):
    assert gateway.http("GET", "/clusters", token=admin_token, query=query).code == 1001
    assert ws.request("GET", "/clusters", query=query)["code"] == 1001


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not: [valid", id="not-yaml"),
        pytest.param("apiVersion: v1\nkind: Config\nclusters: []\n", id="no-current-context"),
        pytest.param(kubeconfig("t").replace("    server: https://127.0.0.1:6443\n", ""), id="no-server-url"),
    ],
)
def test_invalid_kubeconfig_is_refused_with_1001(gateway, admin_token, text):
    result = gateway.http("POST", "/clusters", token=admin_token, body={"name": unique("e2e-bad"), "kubeconfig": text})
    assert result.status == 400 and result.code == 1001, result.text
    assert "kubeconfig" in result.envelope["msg"]


def test_duplicate_names_are_refused(gateway, admin_token):
    name = unique("e2e-dup")
    first = gateway.http("POST", "/clusters", token=admin_token, body={"name": name, "kubeconfig": kubeconfig("a")})
    assert first.code == 0
    try:
        second = gateway.http("POST", "/clusters", token=admin_token, body={"name": name, "kubeconfig": kubeconfig("b")})
        assert second.code == 1001, second.text
    finally:
        gateway.confirmed("DELETE", f"/clusters/{first.data['id']}", token=admin_token)


def test_missing_cluster_is_1002_over_both_transports(gateway, admin_token, ws):
    assert gateway.http("GET", "/clusters/999999", token=admin_token).code == 1002
    assert ws.request("GET", "/clusters/999999")["code"] == 1002
    assert ws.request("DELETE", "/clusters/999999")["code"] == 1002
