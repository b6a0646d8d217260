"""Settings from the environment and .env (the token never printed)."""

from __future__ import annotations

import os
import subprocess
import sys

from khabar.studio.settings import DEFAULT_URL, load_settings


def test_env_file_and_environment_precedence(tmp_path, monkeypatch):
    # load_dotenv writes into os.environ: give it a copy so nothing leaks into other tests.
    monkeypatch.setattr(os, "environ", os.environ.copy())
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "LABEL_STUDIO_USER_TOKEN",
                "LABEL_STUDIO_PORT", "KHABAR_PROJECT"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    env = tmp_path / ".env"
    env.write_text("LABEL_STUDIO_PORT=9999\nLABEL_STUDIO_API_KEY=from-file-secret\n")
    s = load_settings(env)
    assert s.url == "http://127.0.0.1:9999" and s.token == "from-file-secret"
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-env-secret")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://ls.example:1234")
    s = load_settings(env)
    assert s.token == "from-env-secret" and s.url == "http://ls.example:1234"
    assert "secret" not in repr(s) and "secret" not in str(s)


def test_defaults_match_local_server(tmp_path, monkeypatch):
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_PORT"):
        monkeypatch.delenv(var, raising=False)
    assert load_settings(tmp_path / "missing.env").url == DEFAULT_URL


def test_secrets_are_random_private_and_keep_the_rest_of_env(tmp_path):
    from khabar.studio.settings import DEFAULT_PASSWORD, SECRETS, write_secrets

    env = tmp_path / ".env"
    env.write_text(f"LABEL_STUDIO_PORT=9000\nLABEL_STUDIO_PASSWORD={DEFAULT_PASSWORD}\n# note\n")
    env.chmod(0o644)
    assert write_secrets(env) == list(SECRETS)
    text = env.read_text()
    values = dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)
    assert env.stat().st_mode & 0o777 == 0o600
    assert values["LABEL_STUDIO_PORT"] == "9000" and "# note" in text
    assert set(values) == {"LABEL_STUDIO_PORT", *SECRETS}
    assert all(len(values[k]) >= 24 and values[k] != d for k, d in SECRETS.items())
    assert write_secrets(env) == [] and env.read_text() == text  # chosen values are kept
    fresh = tmp_path / "new.env"
    write_secrets(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o600 and fresh.read_text() != text


def _start_script(env: dict, tmp_path) -> subprocess.CompletedProcess:
    from tests.conftest import ROOT

    clean = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    return subprocess.run(
        [str(ROOT / "scripts" / "labelstudio.sh"), "start"], capture_output=True, text=True,
        env={**clean, "LS_DATA_DIR": str(tmp_path / "ls"), "LABEL_STUDIO_PORT": "1",
             "LABEL_STUDIO_BIN": str(tmp_path / "no-such-label-studio"), **env},
        timeout=600,
    )  # fmt: skip


def test_label_studio_refuses_a_network_host_with_default_secrets(tmp_path):
    out = _start_script({"LABEL_STUDIO_HOST": "0.0.0.0"}, tmp_path)
    assert out.returncode == 2 and "make secrets" in out.stderr
    out = _start_script(
        {"LABEL_STUDIO_HOST": "0.0.0.0", "LABEL_STUDIO_PASSWORD": "p" * 30}, tmp_path
    )
    assert out.returncode == 2  # the token is still the default
    chosen = {"LABEL_STUDIO_PASSWORD": "p" * 30, "LABEL_STUDIO_USER_TOKEN": "t" * 30}
    out = _start_script({"LABEL_STUDIO_HOST": "0.0.0.0", **chosen}, tmp_path)
    assert "refusing" not in out.stderr and "no-such-label-studio" in out.stderr  # got past it
    out = _start_script({}, tmp_path)  # loopback: the documented defaults are fine
    assert "refusing" not in out.stderr


def test_secrets_command_refuses_once_the_server_was_set_up(tmp_path):
    from tests.conftest import ROOT

    (tmp_path / "ls").mkdir()
    (tmp_path / "ls" / "label_studio.sqlite3").write_text("")
    out = subprocess.run([sys.executable, "-m", "khabar.cli", "secrets", "--env",
                          str(tmp_path / ".env"), "--data-dir", str(tmp_path / "ls")],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)  # fmt: skip
    assert out.returncode != 0 and "before the first start" in out.stdout + out.stderr
    assert not (tmp_path / ".env").exists()
