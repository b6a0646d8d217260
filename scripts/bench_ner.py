"""Benchmark: khabar's default transformer path beside the CRF baseline on public Hindi NER data.

Corpora are the ones `annotation/transfer.yaml` declares, read from ../shared/benchmarks (see
each folder's ATTRIBUTION.md):
- hiner: HiNER part 1 (CC-BY-SA-4.0), PERSON/LOCATION/ORGANIZATION -> PER/LOC/ORG; the first
  90 % of sentences train, the last 10 % are dev, in file order;
- ilner: IL-NER Hindi (CC-BY-4.0), NEP/NEL/NEO -> PER/LOC/ORG (its other types become O);
  hindi-train.txt trains, hindi-dev.txt is dev.

The transformer is `khabar transfer-base <corpus>`: the converted multilingual-e5-small, word
embeddings frozen, lr 1e-4 with the head at 10 x, batch 16, 5 epochs, the epoch picked on a seeded
draw of 10 % of the training part (at most 1,000 sentences) that must hold a mention of every type;
a base that is up to date is not trained again (its recorded time is reported). The CRF trains on
the same training part (the tuning draw included). Both are scored on dev: strict micro-F1
(seqeval), per type. Writes models/benchmarks/bench-ner.json. Skips a corpus with a message when
../shared lacks it.

    python scripts/bench_ner.py [--corpus hiner ilner]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "benchmarks"

from benchkit import measure, provenance  # noqa: E402

from khabar.dataset.corpora import CorpusError, load_declared, read_corpus  # noqa: E402
from khabar.io import read_json  # noqa: E402
from khabar.model.measure.baselines import CrfTagger  # noqa: E402
from khabar.model.measure.evaluation import entity_scores  # noqa: E402
from khabar.model.train.transfer import PROVENANCE  # noqa: E402
from khabar.model.train.transfer_base import TransferArgs, prepare  # noqa: E402

KHABAR = str(Path(sys.executable).parent / "khabar")
CORPORA = ("hiner", "ilner")


def bench(name: str, env: dict) -> dict | None:
    """CRF and transformer on one corpus."""
    spec = load_declared(ROOT / "annotation" / "transfer.yaml")[name]
    try:
        corpus = read_corpus(spec, "local", BENCH)
    except CorpusError as exc:
        print(f"{name} skipped: {exc}")
        return None
    parts = prepare(corpus, TransferArgs())
    train = parts.fit + parts.tune
    dev = corpus.held_out
    n_ment = sum(t.startswith("B-") for _, tags in dev for t in tags)
    print(f"{name}: {len(train)} train / {len(dev)} dev sentences ({n_ment} dev mentions); "
          f"tags mapped to O: {dict(corpus.dropped) or 'none'}")  # fmt: skip
    t0 = time.perf_counter()
    crf = CrfTagger().fit([w for w, _ in train], [t for _, t in train])
    crf_s = time.perf_counter() - t0
    crf_scores = entity_scores([t for _, t in dev], crf.predict([w for w, _ in dev]))
    print(f"  CRF: dev micro-F1 {crf_scores['overall']['f1']:.4f}, trained in {crf_s:.0f} s")
    out = ROOT / "models" / "base" / f"transfer-{name}"
    wall, peak, text = measure([KHABAR, "transfer-base", name, "--out", str(out)], env)
    prov = read_json(out / PROVENANCE)
    (c,) = prov["corpora"]
    tr, t = c["held_out_f1"], prov["training"]
    cached = "is up to date" in text
    curve = " ".join(f"{h['val']:.3f}" for h in t["history"])
    print(f"  transformer (e5): dev micro-F1 {tr['f1']:.4f}, trained in {t['seconds']:.0f} s"
          f"{' (earlier: up to date)' if cached else ''}, peak RSS {t['peak_rss_mb']} MB "
          f"(tuning F1 per epoch {curve}; kept epoch {t['best_epoch']})")  # fmt: skip
    gap = tr["f1"] - crf_scores["overall"]["f1"]
    print(f"  transformer − CRF: {gap:+.4f}")
    return {
        "train_sentences": len(train), "dev_sentences": len(dev), "dev_mentions": n_ment,
        "tags_mapped_to_o": dict(corpus.dropped),
        "crf": {"f1": crf_scores["overall"]["f1"], "seconds": crf_s,
                "per_type": crf_scores["per_type"]},
        "transformer": {"base": prov["base"], "folder": str(out.relative_to(ROOT)),
                        "f1": tr["f1"], "seconds": t["seconds"], "cached": cached,
                        "wall_s": round(wall, 1), "peak_rss_mb": t["peak_rss_mb"],
                        "args": t["args"], "best_epoch": t["best_epoch"],
                        "history": t["history"], "per_type": tr["per_type"]},
        "transformer_minus_crf": gap,
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-ner.json")
    a = ap.parse_args()
    env = dict(os.environ, TRANSFER_DATA=str(BENCH), TRANSFER_SOURCE="local")
    # Each corpus is saved as soon as it is done, beside earlier results of the other corpus.
    results = json.loads(a.out.read_text()) if a.out.is_file() else {}
    for name in a.corpus:
        result = bench(name, env)
        if result is not None:
            results[name] = provenance() | result
            a.out.parent.mkdir(parents=True, exist_ok=True)
            a.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
