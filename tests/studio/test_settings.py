"""Settings from the environment and .env (the token never printed)."""

from __future__ import annotations

import os

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
