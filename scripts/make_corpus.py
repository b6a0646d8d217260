"""Write N realistic raw Hindi news articles for scale benchmarks (generated, never committed).

Each article looks like the seeds as they come off a news site: an outlet line, the headline, a
dateline paragraph ('नई दिल्ली, 12 मार्च (भाषा)। ...'), body paragraphs of 1-4 sentences, now and
then the headline or a paragraph repeated, and share/follow boilerplate at the end, all of which
`khabar ingest` has to clean. Body sentences are the Hindi sentences of ../shared/benchmarks
(IL-NER, HiNER; see their ATTRIBUTION.md) when that folder is there, else the seed articles'
sentences. The same N and --seed give byte-identical files.

    python scripts/make_corpus.py 10000 --out datasets/scale/10000/raw
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from khabar.corpus.ingest import ingest  # noqa: E402
from khabar.corpus.metadata import OUTLETS  # noqa: E402

SHARED = ROOT.parent / "shared" / "benchmarks"
PLACES = ("नई दिल्ली", "मुंबई", "मॉस्को", "लखनऊ", "पटना", "जयपुर", "कोलकाता", "वॉशिंगटन", "भोपाल")
MONTHS = ("जनवरी", "फरवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर",
          "नवंबर", "दिसंबर")  # fmt: skip
AGENCIES = ("भाषा", "आईएएनएस", "पीटीआई", "एएनआई")
BOILERPLATE = (
    "facebook twitter instagram",
    "Follow Us: facebook twitter whatsapp",
    "शेयर करें",
)
# No space before these, after these: how the benchmarks' tokens are joined back into text.
NO_SPACE_BEFORE = re.compile(r" ([।,.?!:;)\]’”'])")
NO_SPACE_AFTER = re.compile(r"([(\[‘“]) ")


def conll_sentences(path: Path) -> list[str]:
    """Sentences of a token-per-line file (blank line between sentences), tokens re-joined."""
    out, words = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            words.append(line.split()[0])
        elif words:
            text = NO_SPACE_AFTER.sub(r"\1", NO_SPACE_BEFORE.sub(r"\1", " ".join(words)))
            out.append(re.sub(r"।(\s*।)+", "।", text))
            words = []
    return out


def sentence_pool(shared: Path) -> tuple[list[str], str]:
    """Usable body sentences (6-40 words, mostly Devanagari), and where they came from."""
    files = sorted(shared.glob("*/*.conll")) + sorted(shared.glob("*/*-train.txt"))
    if files:
        raw = [s for f in files for s in conll_sentences(f)]
        source = ", ".join(str(f.relative_to(shared)) for f in files)
    else:
        arts = ingest([ROOT / "datasets" / "raw"]).articles
        raw = [a.text[s:e] for a in arts for s, e in a.sentences]
        source = "the seed articles (../shared/benchmarks not found)"
    keep = []
    for s in raw:
        words = s.split()
        deva = sum("\u0900" <= c <= "\u097f" for c in s)
        if 6 <= len(words) <= 40 and deva > 0.6 * len(s.replace(" ", "")):
            s = s.rstrip(" .")
            keep.append(s if s.endswith(("।", "?", "!")) else s + "।")
    return sorted(set(keep)), source


def article(rng: random.Random, pool: list[str]) -> str:
    """One raw article: outlet line, headline, dateline paragraph, body, repeats, boilerplate."""
    body = rng.sample(pool, rng.randint(6, 18))
    headline = " ".join(rng.choice(pool).rstrip("।?!").split()[:12])
    year = rng.randint(2019, 2026)
    dateline = (f"{rng.choice(PLACES)}, {rng.randint(1, 28)} {rng.choice(MONTHS)} "
                f"({rng.choice(AGENCIES)})। ")  # fmt: skip
    paragraphs, i = [], 0
    while i < len(body):
        k = rng.randint(1, 4)
        paragraphs.append(" ".join(body[i : i + k]))
        i += k
    paragraphs[0] = dateline + paragraphs[0]
    if rng.random() < 0.3:  # a site repeating a paragraph (a teaser above the fold)
        paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(paragraphs))
    lines = [f"{rng.choice(OUTLETS)} / {year}", "", headline, ""]
    if rng.random() < 0.5:  # the headline again, as the seeds' pages do
        lines += [headline]
    lines += paragraphs + ["", rng.choice(BOILERPLATE)]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write N articles as numbered .txt files into --out."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="How many articles.")
    ap.add_argument("--out", type=Path, help="Folder [default: datasets/scale/<N>/raw].")
    ap.add_argument("--seed", type=int, default=13, help="Same seed, same corpus.")
    ap.add_argument("--shared", type=Path, default=SHARED, help="Benchmark sentences folder.")
    args = ap.parse_args()
    out = args.out or ROOT / "datasets" / "scale" / str(args.n) / "raw"
    pool, source = sentence_pool(args.shared)
    rng = random.Random(args.seed)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):  # a smaller N must not leave the bigger corpus' files behind
        old.unlink()
    words = 0
    for n in range(args.n):
        text = article(rng, pool)
        words += len(text.split())
        (out / f"{n:06d}.txt").write_text(text, encoding="utf-8")
    print(f"{args.n} articles, {words:,} words ({words // max(args.n, 1)} per article) -> {out}; "
          f"sentences from {source} ({len(pool):,} distinct)")  # fmt: skip


if __name__ == "__main__":
    main()
