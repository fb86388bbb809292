"""Authentication and scopes on HTTP and on the socket: 2001/4001, 2002/4002, 1005."""

import time

import pytest

from gateway import jwt_parts, jwt_sign, kubeconfig


def expired(token, secret):
    header, claims = jwt_parts(token)
    claims["iat"] = int(time.time()) - 7200
    claims["exp"] = int(time.time()) - 3600
    return jwt_sign(header, claims, secret)


def socket_refusal(gateway, **kwargs):
    """(error frame, close code) of a socket the server refuses after the upgrade."""
    with gateway.socket(read_hello=False, **kwargs) as session:
        error = session.recv_json()
        return error, session.close_code()


def test_resigned_token_is_accepted(gateway, admin_token):
    """Guards the tests below: our HS256 signer matches the server's, so a refusal of a token
    re-signed with other claims is about those claims."""
    header, claims = jwt_parts(admin_token)
    assert claims["sub"] == "e2e-admin" and claims["role"] == "admin"
    token = jwt_sign(header, claims, gateway.secret)
    assert gateway.http("GET", "/clusters", token=token).code == 0


def test_http_without_token_is_401_with_2001(gateway):
    result = gateway.http("GET", "/clusters")
    assert result.status == 401
    assert result.code == 2001


def test_socket_without_token_gets_2001_then_close_4001(gateway):
    error, code = socket_refusal(gateway)
    assert error["type"] == "error" and error["code"] == 2001, error
    assert code == 4001


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda token, secret: jwt_sign(*jwt_parts(token), "a-different-secret-of-enough-length!!"),
                     id="other-secret"),
        pytest.param(lambda token, secret: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
                     id="mangled-signature"),
        pytest.param(lambda token, secret: "not.a.jwt", id="garbage"),
        pytest.param(lambda token, secret: jwt_sign({"alg": "none", "typ": "JWT"}, jwt_parts(token)[1], secret)
                     .rsplit(".", 1)[0] + ".", id="alg-none"),
    ],
)
def test_bad_tokens_get_2001_on_http_and_socket(gateway, admin_token, mangle):
    token = mangle(admin_token, gateway.secret)
    result = gateway.http("GET", "/clusters", token=token)
    assert result.status == 401 and result.code == 2001, result.text
    error, code = socket_refusal(gateway, token=token)
    assert error["code"] == 2001 and code == 4001, (error, code)


def test_expired_token_gets_2002_on_http_and_4002_on_socket(gateway, admin_token):
    token = expired(admin_token, gateway.secret)
    result = gateway.http("GET", "/clusters", token=token)
    assert result.status == 401 and result.code == 2002, result.text
    error, code = socket_refusal(gateway, token=token)
    assert error["type"] == "error" and error["code"] == 2002, error
    assert code == 4002


def test_expired_token_in_subprotocol_gets_4002(gateway, admin_token):
    token = expired(admin_token, gateway.secret)
    error, code = socket_refusal(gateway, subprotocols=["kubegale.v1", f"bearer.{token}"])
    assert (error["code"], code) == (2002, 4002)


def test_viewer_cannot_create_update_or_delete(gateway, admin_token, viewer_token):
    body = {"name": "e2e-viewer-attempt", "kubeconfig": kubeconfig("viewer")}
    refused = gateway.http("POST", "/clusters", token=viewer_token, body=body)
    assert refused.status == 403 and refused.code == 1005, refused.text

    created = gateway.http("POST", "/clusters", token=admin_token, body={**body, "name": "e2e-viewer-target"})
    assert created.code == 0
    cluster_id = created.data["id"]
    try:
        with gateway.socket(viewer_token) as session:
            assert session.hello["role"] == "viewer"
            assert session.request("POST", "/clusters", body=body)["code"] == 1005
            assert session.request("PUT", f"/clusters/{cluster_id}", body={"description": "x"})["code"] == 1005
            assert session.request("DELETE", f"/clusters/{cluster_id}")["code"] == 1005
            assert session.request("GET", f"/clusters/{cluster_id}")["code"] == 0
        assert gateway.http("DELETE", f"/clusters/{cluster_id}", token=viewer_token).code == 1005
        operator = gateway.token(role="operator", subject="e2e-operator")
        assert gateway.http("POST", "/clusters", token=operator, body=body).code == 1005
    finally:
        assert gateway.confirmed("DELETE", f"/clusters/{cluster_id}", token=admin_token).code == 0


def test_token_scoped_to_one_cluster_sees_only_that_cluster(gateway, admin_token):
    ids = []
    for name in ("e2e-scope-mine", "e2e-scope-other"):
        created = gateway.http("POST", "/clusters", token=admin_token,
                               body={"name": name, "kubeconfig": kubeconfig(name)})
        assert created.code == 0, created.text
        ids.append(created.data["id"])
    mine, other = ids
    scoped = gateway.token(role="admin", subject="e2e-scoped", clusters=str(mine))
    try:
        assert gateway.http("GET", f"/clusters/{mine}", token=scoped).code == 0
        refused = gateway.http("GET", f"/clusters/{other}", token=scoped)
        assert refused.status == 403 and refused.code == 1005, refused.text
        listed = gateway.http("GET", "/clusters", token=scoped, query={"pageSize": 500}).data
        assert [item["id"] for item in listed["items"]] == [mine]
        assert listed["total"] == 1

        with gateway.socket(scoped) as session:
            assert session.request("GET", f"/clusters/{other}")["code"] == 1005
            assert session.request("PUT", f"/clusters/{other}", body={"description": "x"})["code"] == 1005
            assert session.request("DELETE", f"/clusters/{other}")["code"] == 1005
            assert [item["id"] for item in session.request("GET", "/clusters")["data"]["items"]] == [mine]
        # A foreign id that does not exist is refused the same way: scope says nothing about existence.
        assert gateway.http("GET", "/clusters/999998", token=scoped).code == 1005
    finally:
        for cluster_id in ids:
            gateway.confirmed("DELETE", f"/clusters/{cluster_id}", token=admin_token)
