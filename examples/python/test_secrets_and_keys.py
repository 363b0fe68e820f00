"""Plain HTTP against the mock: secrets created, listed and deleted; a key created, rotated
(the old plaintext stops working) and revoked; two deterministic mocks answering alike."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import start_mock


def call(mock, method, path, body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(mock.base_url + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + (key or mock.api_key))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def keys_path(mock):
    return "/v1/organizations/users/" + urllib.parse.quote(mock.user_email, safe="") + "/api-keys"


def test_secret_lifecycle(mixpeek_mock):
    status, body = call(mixpeek_mock, "POST", "/v1/organizations/secrets",
                        {"secret_name": "stripe_api_key", "secret_value": "sk_test_1"})
    assert (status, body) == (201, {"secret_name": "stripe_api_key", "created": True})
    status, body = call(mixpeek_mock, "POST", "/v1/organizations/secrets",
                        {"secret_name": "stripe_api_key", "secret_value": "sk_test_2"})
    assert status == 409 and body["error"]["type"] == "AlreadyExistsError"
    status, body = call(mixpeek_mock, "GET", "/v1/organizations/secrets")
    assert (status, body) == (200, {"secrets": ["stripe_api_key"], "count": 1})
    assert "sk_test_1" not in json.dumps(body)
    status, _ = call(mixpeek_mock, "DELETE", "/v1/organizations/secrets/stripe_api_key")
    assert status == 200
    status, body = call(mixpeek_mock, "GET", "/v1/organizations/secrets")
    assert body["count"] == 0


def test_key_rotation(mixpeek_mock):
    status, created = call(mixpeek_mock, "POST", keys_path(mixpeek_mock), {"name": "deploy", "permissions": ["read"]})
    assert status == 200 and created["key"].startswith("sk_")
    old = created["key"]
    assert call(mixpeek_mock, "GET", "/v1/organizations/secrets", key=old)[0] == 200

    status, rotated = call(mixpeek_mock, "POST", keys_path(mixpeek_mock) + "/deploy/rotate")
    assert status == 200 and rotated["key"] != old and rotated["key_id"] == created["key_id"]
    status, body = call(mixpeek_mock, "GET", "/v1/organizations/secrets", key=old)
    assert status == 401 and body["error"]["type"] == "UnauthorizedError"
    assert call(mixpeek_mock, "GET", "/v1/organizations/secrets", key=rotated["key"])[0] == 200

    assert call(mixpeek_mock, "DELETE", keys_path(mixpeek_mock) + "/deploy")[0] == 200
    status, listed = call(mixpeek_mock, "GET", keys_path(mixpeek_mock) + "?include_revoked=true")
    assert {k["name"]: k["status"] for k in listed["results"]}["deploy"] == "revoked"


GOLDEN_FLAGS = ("-seed", "7", "-clock", "frozen:2030-01-01T00:00:00Z")


@pytest.mark.mixpeek_mock_args(*GOLDEN_FLAGS)
def test_deterministic_answers(mixpeek_mock):
    status, created = call(mixpeek_mock, "POST", keys_path(mixpeek_mock), {"name": "ci", "permissions": ["read"]})
    assert status == 200 and created["created_at"] == "2030-01-01T00:00:00Z"
    # Another mock with the same flags gives the same bytes: a golden body, in any language.
    with start_mock(*GOLDEN_FLAGS) as other:
        assert call(other, "POST", keys_path(other), {"name": "ci", "permissions": ["read"]}) == (status, created)
    # Without the seed, the key differs.
    with start_mock("-clock", "frozen:2030-01-01T00:00:00Z") as unseeded:
        assert call(unseeded, "POST", keys_path(unseeded), {"name": "ci", "permissions": ["read"]})[1]["key"] != created["key"]


def test_many_calls(mixpeek_mock):
    # The mock logs a line per request: the fixture must never let that stop it.
    for _ in range(1500):
        assert call(mixpeek_mock, "GET", "/v1/organizations/secrets")[0] == 200


@pytest.mark.mixpeek_mock_args("-admin-key", "sk_python_example_admin_key_for_the_mock_0000")
def test_own_admin_key(mixpeek_mock):
    assert mixpeek_mock.api_key == "sk_python_example_admin_key_for_the_mock_0000"
    assert call(mixpeek_mock, "GET", "/v1/organizations/secrets")[0] == 200


def test_recording(mixpeek_mock):
    # What MIXPEEK_RECORD_TO writes after a test: the calls as symbols, no value.
    call(mixpeek_mock, "POST", "/v1/organizations/secrets", {"secret_name": "s1", "secret_value": "never-in-it"})
    with urllib.request.urlopen(mixpeek_mock.base_url + "/_mock/recording", timeout=10) as resp:
        recording = json.loads(resp.read())
    assert recording["format"] == "mixpeek-recording"
    assert recording["calls"][0]["body"] == {"secret_name": "$secret1", "secret_value": "$value:11"}
    assert "never-in-it" not in json.dumps(recording)
