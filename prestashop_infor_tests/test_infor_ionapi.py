"""`.ionapi` loading and the ION API token flows against the emulator's authorization server."""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from prestashop_infor.infor import InforAuthError, IonApiCredentials, IonApiFileError, M3Client, TokenManager
from prestashop_infor.sandbox.infor import Fault, create_app, seed_tenant

BASE = "http://testserver"


@pytest.fixture
def tenant():
    return seed_tenant([("SKU-1", "Mug", "9.90")], seed=1, token_lifetime=timedelta(minutes=30))


@pytest.fixture
def http(tenant):
    with TestClient(create_app(tenant)) as client:
        yield client


@pytest.fixture
def credentials(tenant) -> IonApiCredentials:
    return IonApiCredentials.from_dict(tenant.ionapi(BASE))


# -- the file -------------------------------------------------------------------------------------


def test_public_example_file_loads_and_builds_urls(fixtures_dir: Path):
    creds = IonApiCredentials.from_file(fixtures_dir / "infor" / "ionapi.example.json")
    assert creds.token_url == "https://mingle-sso.inforcloudsuite.com:443/<your Tenant>/as/token.oauth2"
    assert (
        creds.revoke_url == "https://mingle-sso.inforcloudsuite.com:443/<your Tenant>/as/revoke_token.oauth2"
    )
    assert creds.api_base == "https://mingle-ionapi.inforcloudsuite.com/<your Tenant>"
    assert creds.grant_type == "password"
    assert creds.service_account_access_key.startswith("<your Tenant>#")
    # unknown keys are kept aside, not rejected
    assert creds.extras["dt"] == "12" and creds.extras["v"] == "1.0" and "_source" in creds.extras


def test_secrets_never_in_repr_or_str(fixtures_dir: Path):
    raw = json.loads((fixtures_dir / "infor" / "ionapi.example.json").read_text())
    creds = IonApiCredentials.from_dict(raw)
    for text in (repr(creds), str(creds)):
        assert raw["cs"] not in text
        assert raw["sask"] not in text
        assert raw["saak"] not in text


@pytest.mark.parametrize("key", ["ti", "ci", "cs", "iu", "pu", "ot"])
def test_missing_key_is_named(tmp_path: Path, fixtures_dir: Path, key: str):
    data = json.loads((fixtures_dir / "infor" / "ionapi.example.json").read_text())
    del data[key]
    path = tmp_path / "broken.ionapi"
    path.write_text(json.dumps(data))
    with pytest.raises(IonApiFileError, match=f"missing key '{key}'") as info:
        IonApiCredentials.from_file(path)
    assert info.value.key == key
    assert data["cs"] not in str(info.value) if key != "cs" else True


def test_invalid_values_are_named(tmp_path: Path, fixtures_dir: Path):
    data = json.loads((fixtures_dir / "infor" / "ionapi.example.json").read_text())
    data["iu"] = "mingle-ionapi.inforcloudsuite.com"  # no scheme
    with pytest.raises(IonApiFileError, match="'iu' must be an http"):
        IonApiCredentials.from_dict(data)
    data = json.loads((fixtures_dir / "infor" / "ionapi.example.json").read_text())
    del data["sask"]
    with pytest.raises(IonApiFileError, match="missing key 'sask'"):
        IonApiCredentials.from_dict(data)
    data["saak"] = 12
    with pytest.raises(IonApiFileError, match="'saak' must be a string"):
        IonApiCredentials.from_dict({**data, "sask": "x"})
    path = tmp_path / "bad.ionapi"
    path.write_text("{not json")
    with pytest.raises(IonApiFileError, match="not valid JSON"):
        IonApiCredentials.from_file(path)
    with pytest.raises(IonApiFileError, match="cannot read"):
        IonApiCredentials.from_file(tmp_path / "absent.ionapi")


def test_client_credentials_file_without_service_account(fixtures_dir: Path):
    data = json.loads((fixtures_dir / "infor" / "ionapi.example.json").read_text())
    del data["saak"], data["sask"]
    assert IonApiCredentials.from_dict(data).grant_type == "client_credentials"


def test_from_env_fields_and_file(tmp_path: Path, tenant):
    fields = tenant.ionapi(BASE)
    env = {f"INFOR_IONAPI_{k.upper()}": v for k, v in fields.items()}
    creds = IonApiCredentials.from_env(env)
    assert creds.client_secret == fields["cs"] and creds.token_url == f"{BASE}/SANDBOX_TST/as/token.oauth2"
    del env["INFOR_IONAPI_CI"]
    with pytest.raises(IonApiFileError, match="missing key 'INFOR_IONAPI_CI'"):
        IonApiCredentials.from_env(env)
    path = tenant.write_ionapi(tmp_path / "sandbox.ionapi", BASE)
    assert IonApiCredentials.from_env({"INFOR_IONAPI_FILE": str(path)}) == creds
    with pytest.raises(IonApiFileError, match="INFOR_IONAPI_FILE"):
        IonApiCredentials.from_env({})


def test_written_file_has_every_contract_key(tmp_path: Path, tenant):
    data = json.loads(tenant.write_ionapi(tmp_path / "x.ionapi", BASE).read_text())
    assert set(data) >= {
        "ti",
        "cn",
        "ci",
        "cs",
        "iu",
        "pu",
        "oa",
        "ot",
        "or",
        "saak",
        "sask",
        "dt",
        "ev",
        "v",
    }
    assert (
        data["pu"].endswith("/")
        and data["saak"].startswith("SANDBOX_TST#")
        and data["ci"].startswith("SANDBOX_TST~")
    )


# -- token flows ----------------------------------------------------------------------------------


def test_password_grant_basic_and_form(http, credentials):
    for mode in ("basic", "form"):
        manager = TokenManager(credentials, http, client_auth=mode)
        token = manager.access_token()
        assert token and manager.access_token() == token  # cached
        assert manager.grants == 1


def test_client_credentials_grant(http, tenant):
    data = tenant.ionapi(BASE)
    del data["saak"], data["sask"]
    manager = TokenManager(IonApiCredentials.from_dict(data), http)
    assert manager.access_token()


def test_token_endpoint_wire_shape(http, tenant, credentials):
    pair = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    form = {"grant_type": "password", "username": credentials.service_account_access_key,
            "password": credentials.service_account_secret_key}  # fmt: skip
    response = http.post(credentials.token_url, data=form, headers={"Authorization": f"Basic {pair}"})
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1800 and body["refresh_token"]
    bad = http.post(
        credentials.token_url, data={**form, "password": "wrong"}, headers={"Authorization": f"Basic {pair}"}
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    unknown = http.post(
        credentials.token_url,
        data={**form, "grant_type": "implicit"},
        headers={"Authorization": f"Basic {pair}"},
    )
    assert unknown.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("wrong", ["cs", "sask"])
def test_wrong_credentials_fail_without_echoing_secrets(http, tenant, wrong, caplog):
    data = tenant.ionapi(BASE)
    data[wrong] = "not-the-secret-" + data[wrong][:5]
    creds = IonApiCredentials.from_dict(data)
    manager = TokenManager(creds, http)
    with caplog.at_level(logging.DEBUG), pytest.raises(InforAuthError, match="authentication failed") as info:
        manager.access_token()
    assert info.value.status_code in (400, 401)
    for secret in (data["cs"], data["sask"], tenant.gateway.client_secret, tenant.gateway.secret_key):
        assert secret not in str(info.value) and secret not in caplog.text


def test_refresh_before_expiry_and_fallback(http, tenant, credentials):
    now = [0.0]
    manager = TokenManager(credentials, http, clock=lambda: now[0], refresh_margin=60)
    first = manager.access_token()
    now[0] = 1800 - 30  # inside the refresh margin
    second = manager.access_token()
    assert second != first and manager.refreshes == 1 and manager.grants == 1
    # a revoked grant cannot refresh: the manager falls back to a full grant
    tenant.gateway.revoke(manager._token.refresh_token)
    now[0] += 1800
    third = manager.access_token()
    assert third not in (first, second) and manager.grants == 2


def test_revoke_kills_the_grant_and_its_tokens(http, tenant, credentials):
    manager = TokenManager(credentials, http)
    token = manager.access_token()
    assert tenant.gateway.check_bearer(f"Bearer {token}")
    manager.revoke()
    assert not tenant.gateway.check_bearer(f"Bearer {token}")
    refused = http.get(f"{credentials.api_base}/M3/m3api-rest/v2/execute/OIS100MI/GetServerTime",
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert refused.status_code == 401 and refused.json() == {"error": "Unauthorized"}
    assert manager.access_token() != token  # a new grant


def test_revoke_by_get_with_form_client_auth(http, tenant, credentials):
    manager = TokenManager(credentials, http, client_auth="form")
    token = manager.access_token()
    response = http.get(
        credentials.revoke_url,
        params={
            "token": token,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )
    assert response.status_code == 200 and not tenant.gateway.check_bearer(f"Bearer {token}")


def test_gateway_401_for_missing_malformed_expired_tokens(http, tenant, credentials):
    url = f"{credentials.api_base}/M3/m3api-rest/v2/execute/OIS100MI/GetServerTime"
    assert http.get(url).status_code == 401
    assert http.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert http.get(url, headers={"Authorization": "Basic abc"}).status_code == 401
    token = TokenManager(credentials, http).access_token()
    assert http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    tenant.clock.advance(timedelta(minutes=31))
    assert http.get(url, headers={"Authorization": f"Bearer {token}"}).json() == {"error": "Unauthorized"}


def test_token_expiry_in_the_middle_of_a_run(http, tenant, credentials):
    """The client's cache still believes the token is valid; the gateway says 401; the client
    re-authenticates once and repeats the call, and the run goes on."""
    client = M3Client(credentials, http_client=http)
    for n in range(6):
        if n == 3:
            tenant.clock.advance(timedelta(minutes=45))  # every token of the run expires now
        assert client.execute_one("OIS100MI", "GetServerTime")["LMTS"]
    assert client.stats["reauthentications"] == 1
    assert client.tokens.grants + client.tokens.refreshes == 2
    tenant.gateway.expire_tokens()  # the sandbox hook does the same
    client.execute_one("MMS200MI", "Get", ITNO="SKU-1")
    assert client.stats["reauthentications"] == 2


def test_persistent_401_is_an_auth_error(http, tenant, credentials):
    """A gateway that rejects even a fresh token: one renewal and retry, then a clear error, no loop."""
    tenant.gateway.faults.append(Fault(status=401, count=5, match="OIS100MI/GetServerTime"))
    client = M3Client(credentials, http_client=http)
    with pytest.raises(InforAuthError, match="rejected a freshly issued token"):
        client.execute("OIS100MI", "GetServerTime")
    assert client.stats["requests"] == 2


def test_retries_that_span_token_expiries_renew_once_per_issued_token(http, tenant, credentials):
    """A read retried over 5xx answers while tokens keep expiring between the retries: each expired
    token is renewed once, and the call goes through (one renewal per call failed here before)."""
    tenant.gateway.faults.append(Fault(status=503, count=3, match="MMS200MI/Get"))
    client = M3Client(credentials, http_client=http, sleep=lambda _s: tenant.gateway.expire_tokens())
    assert client.execute_one("MMS200MI", "Get", ITNO="SKU-1")["ITNO"] == "SKU-1"
    assert client.stats["reauthentications"] == 3 and client.stats["retries"] == 3
