"""Settings from the environment or a `.env` file (never printed: the token is a secret)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from khabar.io import write_atomic

# Local defaults, matching scripts/labelstudio.sh and .env.example: a fresh clone works with no
# configuration against the server `make label-studio` starts.
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TOKEN = "khabar-local-dev-token-0123456789"
DEFAULT_PASSWORD = "khabar-admin"
# What `khabar secrets` writes: the server's admin password and legacy token, used at its first
# start. scripts/labelstudio.sh refuses a non-loopback host while either is the default above.
SECRETS = {"LABEL_STUDIO_PASSWORD": DEFAULT_PASSWORD, "LABEL_STUDIO_USER_TOKEN": DEFAULT_TOKEN}
DEFAULT_PROJECT = "khabar: Hindi news entities and events"


@dataclass(frozen=True)
class Settings:
    """Where Label Studio is and which project khabar uses."""

    url: str
    token: str
    project: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"Settings(url={self.url!r}, token='***', project={self.project!r})"


def load_settings(env_file: Path | str = ".env") -> Settings:
    """Read LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY and KHABAR_PROJECT (environment wins)."""
    load_dotenv(env_file, override=False)
    port = os.environ.get("LABEL_STUDIO_PORT")
    url = os.environ.get("LABEL_STUDIO_URL") or (
        f"http://127.0.0.1:{port}" if port else DEFAULT_URL
    )
    token = (
        os.environ.get("LABEL_STUDIO_API_KEY")
        or os.environ.get("LABEL_STUDIO_USER_TOKEN")
        or DEFAULT_TOKEN
    )
    return Settings(url=url, token=token, project=os.environ.get("KHABAR_PROJECT", DEFAULT_PROJECT))


def write_secrets(env_file: Path | str = ".env") -> list[str]:
    """Give the admin password and token random values in `env_file` where they are missing or
    the documented defaults; keep every other line; make the file readable by its owner only
    (mode 600). Returns the names set (never the values)."""
    env_file = Path(env_file)
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.is_file() else []
    pairs = [ln.partition("=") for ln in lines if not ln.lstrip().startswith("#")]
    values = {k.strip(): v.strip() for k, _, v in pairs}
    changed = [k for k, default in SECRETS.items() if values.get(k, default) in (default, "")]
    kept = [ln for ln in lines if ln.partition("=")[0].strip() not in changed]
    new = [f"{k}={secrets.token_urlsafe(24)}" for k in changed]
    write_atomic(env_file, ["\n".join(kept + new) + "\n"], mode=0o600)
    return changed
