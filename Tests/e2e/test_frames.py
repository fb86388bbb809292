"""Bad input on /ws gets the documented error frame or response code, and the socket stays usable."""

import pytest


def test_invalid_json_gets_error_1001(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        session.ws.send('{"type": "ping", "id": ')
        error = session.recv_json()
        assert error["type"] == "error" and error["code"] == 1001, error
        assert error["msg"]
        session.assert_usable()


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("[1, 2, 3]", id="not-an-object"),
        pytest.param('"ping"', id="a-string"),
        pytest.param('{"id": 3}', id="no-type"),
        pytest.param('{"type": 7, "id": 3}', id="type-not-a-string"),
    ],
)
def test_malformed_frames_get_error_1001(gateway, admin_token, frame):
    with gateway.socket(admin_token) as session:
        session.ws.send(frame)
        error = session.recv_json()
        assert error["type"] == "error" and error["code"] == 1001, error
        session.assert_usable()


def test_unknown_frame_type_gets_error_1001_with_its_id(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        session.send_json({"type": "teleport", "id": 41})
        error = session.recv_json()
        assert error == {"type": "error", "id": 41, "code": 1001, "msg": error["msg"]}, error
        assert "teleport" in error["msg"]
        session.assert_usable()


@pytest.mark.parametrize(
    "frame, field",
    [
        pytest.param({"type": "request", "id": 42, "method": "GET"}, "path", id="no-path"),
        pytest.param({"type": "request", "id": 43, "path": "/clusters"}, "method", id="no-method"),
        pytest.param({"type": "request", "method": "GET", "path": "/clusters"}, "id", id="no-id"),
        pytest.param({"type": "request", "id": 44, "method": "FETCH", "path": "/clusters"}, "method", id="bad-method"),
        pytest.param({"type": "request", "id": 45, "method": "GET", "path": "clusters"}, "path", id="relative-path"),
    ],
)
def test_request_frames_missing_fields_get_error_1001(gateway, admin_token, frame, field):
    with gateway.socket(admin_token) as session:
        session.send_json(frame)
        error = session.recv_json()
        assert error["type"] == "error" and error["code"] == 1001, error
        assert field in error["msg"], error
        if "id" in frame:
            assert error.get("id") == frame["id"], error
        session.assert_usable()


def test_unknown_path_gets_response_1004(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        response = session.request("GET", "/no/such/thing")
        assert response["code"] == 1004, response
        session.assert_usable()


def test_unknown_path_over_http_is_404_with_code_1004(gateway, admin_token):
    result = gateway.http("GET", "/no/such/thing", token=admin_token)
    assert result.status == 404
    assert result.code == 1004


def test_operation_missing_parameters_get_response_1001(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        response = session.request("POST", "/clusters", body={"description": "no name, no kubeconfig"})
        assert response["code"] == 1001, response
        assert "name" in response["msg"] or "kubeconfig" in response["msg"], response
        session.assert_usable()


def test_http_body_that_is_not_json_gets_1001(gateway, admin_token):
    result = gateway.http("POST", "/clusters", token=admin_token, raw_body=b"{not json")
    assert result.status == 400
    assert result.code == 1001


def test_errors_do_not_disturb_requests_in_flight(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        session.send_json({"type": "request", "id": "a", "method": "GET", "path": "/clusters"})
        session.ws.send("garbage")
        session.send_json({"type": "request", "id": "b", "method": "GET", "path": "/clusters"})
        frames = [session.recv_json() for _ in range(3)]
        by_kind = {(frame["type"], frame.get("id")) for frame in frames}
        assert by_kind == {("response", "a"), ("response", "b"), ("error", None)}, frames
