"""What the benchmark scripts share: a free port, and a Label Studio of their own started and
stopped by scripts/labelstudio.sh (temporary data dir, either database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def label_studio_env(data_dir: Path, port: int, token: str, db: str = "sqlite") -> dict:
    """Environment for scripts/labelstudio.sh and for khabar commands that talk to that server."""
    return dict(os.environ, LS_DATA_DIR=str(data_dir), LABEL_STUDIO_PORT=str(port), LS_DB=db,
                LABEL_STUDIO_USER_TOKEN=token,
                LABEL_STUDIO_BIN=str(Path(sys.executable).parent / "label-studio"),
                LABEL_STUDIO_URL=f"http://127.0.0.1:{port}",
                LABEL_STUDIO_API_KEY=token)  # fmt: skip


def label_studio(action: str, env: dict, quiet: bool = False) -> None:
    """Start (waiting for /health) or stop the server `env` describes; a failed start exits."""
    subprocess.run([str(ROOT / "scripts" / "labelstudio.sh"), action], env=env,
                   check=action == "start",
                   stdout=subprocess.DEVNULL if quiet else None)  # fmt: skip
