"""Settings from the environment or a `.env` file (never printed: the token is a secret)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

# Local defaults, matching scripts/labelstudio.sh and .env.example: a fresh clone works with no
# configuration against the server `make label-studio` starts.
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_TOKEN = "khabar-local-dev-token-0123456789"
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
