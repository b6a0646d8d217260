"""The Label Studio client against a real server: clear errors, tokens, projects, export and
annotator accounts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from khabar.studio.client import Client, LabelStudioError
from tests.conftest import _free_port


def test_wrong_token_is_one_clear_sentence(label_studio):
    url, _ = label_studio
    with pytest.raises(LabelStudioError, match="rejected the API token.*LABEL_STUDIO_API_KEY"):
        Client(url, "not-a-token")


def test_server_down_says_what_to_run():
    with pytest.raises(LabelStudioError, match="not reachable.*make label-studio"):
        Client(f"http://127.0.0.1:{_free_port()}", "x")


def test_legacy_and_personal_access_tokens(client, label_studio):
    url, _ = label_studio
    # Enable personal access tokens for the organisation and mint one (a JWT refresh token).
    client.sdk.jwt_settings.update(
        api_tokens_enabled=True, legacy_api_tokens_enabled=True, api_token_ttl_days=30
    )
    pat = client.sdk.tokens.create().token
    assert pat.count(".") == 2, "a personal access token is a JWT"
    me = Client(url, pat).call(Client(url, pat).sdk.users.whoami)
    assert me.email == client.call(client.sdk.users.whoami).email


def test_ensure_project_is_idempotent(client, schema):
    from khabar.schema import label_config

    a = client.ensure_project("idempotent-project", label_config(schema))
    b = client.ensure_project("idempotent-project", label_config(schema))
    assert a == b
    assert client.find_project("idempotent-project") == a
    with pytest.raises(LabelStudioError, match="No Label Studio project"):
        client.find_project("no such project")


def test_export_uses_snapshot_path(client, project):
    client.import_tasks(project, [{"data": {"text": "मोदी", "article_id": "x"}}])
    payload = client.export(project)
    assert b'"article_id": "x"' in payload.replace(b'":"', b'": "')
    # The snapshot is deleted after download: no exports pile up on the server.
    assert list(client.sdk.projects.exports.list(id=project)) == []


def _login(url: str, email: str, password: str):
    import requests

    s = requests.Session()
    s.get(f"{url}/user/login/", timeout=30)
    s.post(f"{url}/user/login/", data={"email": email, "password": password,
           "csrfmiddlewaretoken": s.cookies.get("csrftoken")},
           headers={"Referer": f"{url}/user/login/"}, timeout=30)  # fmt: skip
    return s.get(f"{url}/api/current-user/whoami", timeout=30)


def test_annotator_accounts_can_log_in(label_studio, ls_env, tmp_path):
    import json
    import stat
    import uuid

    from tests.conftest import run_khabar

    url, token = label_studio
    creds = tmp_path / "annotators.json"
    kavya, dev = f"kavya{uuid.uuid4().hex[:6]}", f"dev.{uuid.uuid4().hex[:6]}@khabar.test"
    out = run_khabar("annotators", "add", kavya, dev, "--domain", "khabar.test",
                     "--credentials", creds, env=ls_env)  # fmt: skip
    saved = json.loads(creds.read_text())
    kavya = f"{kavya}@khabar.test"
    assert set(saved) == {kavya, dev}
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert all(v["password"] not in out for v in saved.values())  # never printed
    me = _login(url, kavya, saved[kavya]["password"])
    assert me.status_code == 200 and me.json()["email"] == kavya
    assert _login(url, kavya, "wrong-password").status_code == 401
    again = run_khabar("annotators", "add", kavya, "--credentials", creds, env=ls_env)
    assert "already there" in again and json.loads(creds.read_text()) == saved
    assert kavya in run_khabar("annotators", "list", env=ls_env)
    with pytest.raises(LabelStudioError, match="did not create the account"):
        Client(url, token).add_annotator("short@khabar.test", "x")
    # A failure on a later name keeps the passwords of the accounts made before it.
    late = f"late{uuid.uuid4().hex[:6]}"
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", "annotators", "add", late,
                           "not-an-email@", "--domain", "khabar.test", "--credentials", creds],
                          capture_output=True, text=True, env=ls_env, timeout=600)  # fmt: skip
    assert proc.returncode == 1 and "did not create the account not-an-email@" in proc.stderr
    assert set(json.loads(creds.read_text())) == {kavya, dev, f"{late}@khabar.test"}
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
