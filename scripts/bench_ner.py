"""Benchmark: khabar's default transformer path beside the CRF baseline on HiNER.

Reads ../shared/benchmarks/hiner/hiner-collapsed-part1.conll (CC-BY-SA-4.0, see its
ATTRIBUTION.md), maps PERSON/LOCATION/ORGANIZATION to the schema's PER/LOC/ORG, trains on the
first 90 % of sentences and scores on the last 10 % (file order), and prints dev micro-F1
(strict, seqeval) and training time of both. The transformer starts from khabar's own small BERT
(no downloaded weights), as `make train` does with BASE_MODEL empty; the fine-tuning epoch is
picked on the last 10 % of the training part, never on dev. With --pretrain-epochs N it is first
trained as a masked language model on the training sentences and, when present, the words of
IL-NER's training file (unlabelled text: its tags are ignored). Skips with a message (exit 0)
when ../shared is absent.

    python scripts/bench_ner.py [--epochs 8] [--pretrain-epochs 0] [--limit 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HINER = ROOT.parent / "shared" / "benchmarks" / "hiner" / "hiner-collapsed-part1.conll"
ILNER = ROOT.parent / "shared" / "benchmarks" / "il-ner" / "hindi-train.txt"
sys.path.insert(0, str(ROOT / "src"))

from khabar.dataset.conll import parse_tag_map, read_conll  # noqa: E402
from khabar.model.base import BaseModelArgs, build_base_model  # noqa: E402
from khabar.model.baselines import CrfTagger  # noqa: E402
from khabar.model.evaluation import entity_scores  # noqa: E402
from khabar.model.run import tag_words  # noqa: E402
from khabar.model.training import HINER_TAG_MAP, Split, TrainArgs, pretrain, train_ner  # noqa: E402
from khabar.schema import load_schema  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conll", type=Path, default=HINER)
    ap.add_argument("--epochs", type=int, default=8, help="fine-tuning epochs")
    ap.add_argument("--pretrain-epochs", type=int, default=0, help="MLM epochs first (0: none)")
    ap.add_argument(
        "--mlm-conll",
        type=Path,
        nargs="*",
        default=[ILNER] if ILNER.is_file() else [],
        help="CoNLL files whose words (tags ignored) are added to the MLM text",
    )
    ap.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="end of the training part held out to pick the best epoch",
    )
    ap.add_argument("--learning-rate", type=float, default=0.0, help="0: the training default")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    ap.add_argument("--vocab-size", type=int, default=BaseModelArgs.vocab_size)
    ap.add_argument("--dropout", type=float, default=BaseModelArgs.dropout)
    ap.add_argument("--layers", type=int, default=BaseModelArgs.num_hidden_layers)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "benchmarks" / "bench-ner.json")
    a = ap.parse_args()
    if not a.conll.is_file():
        print(f"bench-ner skipped: {a.conll} not found (../shared is absent on this machine)")
        return 0
    schema = load_schema(ROOT / "annotation" / "schema.yaml")
    sents, dropped = read_conll(a.conll, parse_tag_map(HINER_TAG_MAP), schema.entity_names)
    if a.limit:
        sents = sents[: a.limit]
    cut = int(len(sents) * 0.9)
    train = Split([w for w, _ in sents[:cut]], [t for _, t in sents[:cut]], [], [])
    # The transformer picks its epoch on the end of the training part, never on dev.
    fit_cut = int(cut * (1 - a.val_fraction))
    fit = Split(train.words[:fit_cut], train.tags[:fit_cut], [], [])
    val = Split(train.words[fit_cut:], train.tags[fit_cut:], [], [])
    dev = Split([w for w, _ in sents[cut:]], [t for _, t in sents[cut:]], [], [])
    n_ment = sum(t.startswith("B-") for tags in dev.tags for t in tags)
    print(f"HiNER part 1: {len(train.words)} train / {len(dev.words)} dev sentences "
          f"({n_ment} dev mentions); tags outside the map: {dict(dropped) or 'none'}")  # fmt: skip

    t0 = time.perf_counter()
    crf = CrfTagger().fit(train.words, train.tags)
    crf_s = time.perf_counter() - t0
    crf_f1 = entity_scores(dev.tags, crf.predict(dev.words))["overall"]["f1"]
    print(f"CRF: dev micro-F1 {crf_f1:.4f}, trained in {crf_s:.0f} s")

    args = TrainArgs(epochs=a.epochs, learning_rate=a.learning_rate, batch_size=a.batch_size)
    texts = [" ".join(w) for w in train.words]
    mlm_texts = texts + [" ".join(w) for f in a.mlm_conll for w, _ in read_conll(f, {}, [])[0]]
    base_args = BaseModelArgs(vocab_size=a.vocab_size, dropout=a.dropout,
                              num_hidden_layers=a.layers, seed=args.seed)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if a.pretrain_epochs:
            pretrain(mlm_texts, Path(tmp), args, a.pretrain_epochs, base_args)
        else:
            build_base_model(texts, Path(tmp), base_args)
        lr = a.learning_rate or 5e-4
        # No validation split: choosing an epoch by dev F1 would tune on the test data.
        model, tok, log = train_ner(tmp, fit, val, schema.bio_tags, lr, args)
        tr_s = time.perf_counter() - t0
    pred = [[t for t, _ in row] for row in tag_words(model, tok, dev.words, args.max_length, 64)]
    tr = entity_scores(dev.tags, pred)
    tr_f1 = tr["overall"]["f1"]
    curve = " ".join(f"{h['val']:.3f}" for h in log["history"])
    mlm = f"{a.pretrain_epochs} MLM epochs on {len(mlm_texts)} sentences, then " * bool(
        a.pretrain_epochs
    )
    print(f"transformer: dev micro-F1 {tr_f1:.4f}, trained in {tr_s:.0f} s ({mlm}{a.epochs} "
          f"fine-tuning epochs; held-out F1 per epoch {curve}; kept epoch "
          f"{log['best_epoch']})")  # fmt: skip
    print(f"transformer − CRF: {tr_f1 - crf_f1:+.4f} (target: ≥ 0)")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({
        "train_sentences": len(train.words), "dev_sentences": len(dev.words),
        "dev_mentions": n_ment,
        "crf": {"f1": crf_f1, "seconds": crf_s},
        "transformer": {"f1": tr_f1, "seconds": tr_s, "epochs": a.epochs,
                        "pretrain_epochs": a.pretrain_epochs, "mlm_sentences": len(mlm_texts),
                        "best_epoch": log["best_epoch"], "history": log["history"],
                        "per_type": tr["per_type"]},
    }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
