"""A smaller student of a trained run: fewer encoder layers, distilled from the run (the teacher)
on unlabelled sentences, saved as an ordinary run that predict, the ML backend and the Ray engine
load unchanged (`khabar distill --run R --layers 6 --out R-6`).

The student keeps every layer's weights it keeps (evenly spaced, the first and the last among
them), the embeddings, the entity classifier and the event heads; only its encoder layers learn.
They learn to reproduce the teacher's last hidden states (what every head reads: mean squared
error), its entity tag distributions and its trigger head's (KL divergence), with no labels: any
Hindi sentence teaches, so the run's own training sentences (seen several times an epoch), its
transfer corpus' pool and any text given are used. The epoch is chosen on the validation split
and the transfer base's tuning parts (or a tenth of the sentences held back), by how many word
tags equal the teacher's, and the student is then scored like any run.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khabar.io import write_json
from khabar.model.infer.run import BASELINES_DIR, EVENTS_DIR, NER_DIR, RUN_FILE, Run, tag_words
from khabar.model.net.device import device_field
from khabar.model.net.heads import save_heads
from khabar.model.net.inputs import encode, length_batches, pad

Log = Callable[[str], None]


@dataclass
class DistillArgs:
    """How a student is distilled from a run (saved in the student's run.json)."""

    layers: int = field(default=6, metadata={
        "help": "Encoder layers the student keeps, spread evenly from the teacher's first to its "
                "last (6 of e5's 12: about twice the sentences per second)."})  # fmt: skip
    epochs: int = field(default=8, metadata={
        "help": "Passes over the unlabelled sentences; the epoch whose tags agree most with the "
                "teacher's on the tuning sentences is kept."})  # fmt: skip
    learning_rate: float = field(default=1e-4, metadata={
        "help": "Peak learning rate of the student's encoder layers (linear warm-up over the "
                "first 5% of steps, then linear decay)."})  # fmt: skip
    batch_size: int = field(default=32, metadata={"help": "Sentence windows per step."})
    text: list[str] = field(default_factory=list, metadata={
        "help": "More unlabelled text to distil on: cleaned corpora (.jsonl), CoNLL files (tags "
                "ignored) or plain text, one sentence a line."})  # fmt: skip
    own_repeats: int = field(default=10, metadata={
        "help": "Times the run's own training sentences are seen per epoch: few beside the "
                "transfer pool, they hold what only the project has (DATE and EVENT entities, "
                "triggers and arguments)."})  # fmt: skip
    seed: int = field(default=13, metadata={"help": "Seed of the shuffling."})
    device: str = device_field()

    def __post_init__(self) -> None:
        if self.layers < 1:
            raise ValueError(f"--layers {self.layers}: a student keeps at least one layer")


def kept_layers(teacher_layers: int, layers: int) -> list[int]:
    """`layers` indices spread evenly over `teacher_layers`, the first and the last among them
    (the last layer's output is what the heads were trained on)."""
    if layers >= teacher_layers:
        raise ValueError(f"a student of {layers} layers is no smaller than its teacher "
                         f"({teacher_layers}): ask for fewer with --layers")  # fmt: skip
    if layers == 1:
        return [teacher_layers - 1]
    return [round(i * (teacher_layers - 1) / (layers - 1)) for i in range(layers)]


def shrink(tagger, keep: list[int]):
    """A copy of the tagger whose encoder holds only the layers `keep`, every other weight the
    same; only those layers learn."""
    import torch

    student = copy.deepcopy(tagger)
    encoder = student.base_model.encoder
    encoder.layer = torch.nn.ModuleList([encoder.layer[i] for i in keep])
    student.config.num_hidden_layers = len(keep)  # the encoder's config is this same object
    for p in student.parameters():
        p.requires_grad = False
    for p in encoder.parameters():
        p.requires_grad = True
    return student


def sentences_of(run: Run, own: tuple[list[list[str]], list[list[str]]], args: DistillArgs,
                 log: Log = print) -> tuple[list[list[str]], list[list[str]], dict]:  # fmt: skip
    """(sentences to distil on, tuning sentences, how many came from where). Distilled on: the
    run's training split (`own[0]`, `args.own_repeats` times), its transfer base's pools and
    `args.text`. Tuned on, never distilled on: the validation split (`own[1]`) and the base's
    tuning parts; without either, every tenth sentence is held back."""
    from khabar.model.train.pretraining import read_texts
    from khabar.model.train.transfer import is_transfer_base, load_base
    from khabar.spans import tokenize

    train, tune = [w for w in own[0] if w], [w for w in own[1] if w]
    pool = train * max(1, args.own_repeats)
    sources = {"training split": len(train), "validation split (tuning)": len(tune)}
    base = (run.info.get("transfer") or {}).get("base")
    if base and not is_transfer_base(base):
        log(f"the run's transfer base {base} is not there: distilling without its sentences")
    elif base and not (tb := load_base(base)).unavailable:
        for c in tb.corpora:
            words = [w for w, _ in tb.part(c["name"], "rehearsal")]
            pool += words
            sources[f"{c['name']} pool"] = len(words)
            tune += [w for w, _ in tb.part(c["name"], "tune")]
    for f in args.text:
        words = [[t.text for t in tokenize(s)] for s in read_texts(Path(f))]
        pool += [w for w in words if w]
        sources[str(f)] = len(words)
    if not tune:
        tune, pool = pool[::10], [w for i, w in enumerate(pool) if i % 10]
        sources["held back to tune"] = len(tune)
    if not pool:
        raise ValueError("no sentences to distil on: give unlabelled text with --text")
    return pool, tune, sources


def agreement(tags: list[list[str]], other: list[list[str]]) -> float:
    """Share of words with the same tag in two taggings of the same sentences."""
    pairs = [(a, b) for x, y in zip(tags, other, strict=True) for a, b in zip(x, y, strict=True)]
    return sum(a == b for a, b in pairs) / max(1, len(pairs))


def _tags(model, tok, words: list[list[str]], max_length: int) -> list[list[str]]:
    return [[t for t, _ in row] for row in tag_words(model, tok, words, max_length, 64)]


def _targets(run: Run, sentences: list[list[str]], batch_size: int, log: Log) -> list[tuple]:
    """Per batch of `sentences`' windows: input ids, mask, and the teacher's last hidden states,
    tag logits, and trigger logits at each owned word's first sub-token (its position in the
    flattened batch, its lexicon tag), computed once: the teacher would otherwise cost about 40%
    of each epoch again."""
    import torch
    from tqdm import tqdm

    teacher, tok, heads = run.ner, run.ner_tokenizer, run.heads
    batches = length_batches(encode(tok, sentences, run.max_length), batch_size)
    lexicon = {}  # row -> its words' lexicon tag ids, what the trigger head reads beside them
    out = []
    teacher.eval()
    heads.eval()
    with torch.no_grad():  # not inference_mode: the targets are saved for the backward pass
        for batch in tqdm(batches, desc="teacher targets", unit="batch", leave=False):
            ids, mask = pad(batch, tok.pad_token_id)
            ids, mask = ids.to(teacher.device), mask.to(teacher.device)
            hidden = teacher.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
            flat = [b * ids.shape[1] + pos for b, w in enumerate(batch) for pos in w.first]
            at = torch.tensor(flat, dtype=torch.long, device=ids.device)
            for w in batch:
                if w.row not in lexicon:
                    lexicon[w.row] = heads.config.lexicon_tags(sentences[w.row])
            lex = [lexicon[w.row][i] for w in batch for i in w.words]
            words = hidden.reshape(-1, hidden.shape[-1])[at]
            out.append((ids, mask, hidden, teacher.classifier(hidden), at, lex,
                        heads.trigger_logits(words, lex)))  # fmt: skip
    log(f"teacher targets: {len(out)} batches")
    return out


def _loss(student, heads, target: tuple):
    """Distance of the student to the teacher on one batch: mean squared error of the last
    hidden states, KL divergence of the tag distributions and of the trigger head's."""
    import torch.nn.functional as F

    ids, mask, hidden, logits, at, lex, trig = target
    mine = student.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    tags = student.classifier(mine)[real].log_softmax(-1)
    mine_trig = heads.trigger_logits(mine.reshape(-1, mine.shape[-1])[at], lex).log_softmax(-1)
    return (F.mse_loss(mine[real], hidden[real])
            + F.kl_div(tags, logits[real].softmax(-1), reduction="batchmean")
            + F.kl_div(mine_trig, trig.softmax(-1), reduction="batchmean"))  # fmt: skip


def _distance(student, targets: list[tuple]) -> float:
    """Mean squared distance of the student's last hidden states to the teacher's."""
    import torch

    student.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, mask, hidden, *_ in targets:
            mine = student.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
            real = mask.bool()
            total += float(((mine[real] - hidden[real]) ** 2).mean()) * int(real.sum())
            count += int(real.sum())
    return total / max(1, count)


def distill(run: Run, sentences: list[list[str]], tune: list[list[str]], args: DistillArgs,
            log: Log = print) -> tuple[object, dict]:  # fmt: skip
    """(student tagger, record): the run's tagger shrunk to `args.layers` layers and trained to
    match it on `sentences`, at the epoch agreeing most with it on `tune` (ties: the later)."""
    import torch
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    teacher, tok, max_length = run.ner, run.ner_tokenizer, run.max_length
    keep = kept_layers(teacher.config.num_hidden_layers, args.layers)
    student = shrink(teacher, keep)
    started = time.perf_counter()
    targets = _targets(run, sentences, args.batch_size, log)
    want = _tags(teacher, tok, tune, max_length)
    tune_targets = _targets(run, tune, 64, lambda _: None)

    def check(epoch: int, **more) -> dict:
        return {"epoch": epoch, **more,
                "tune_agreement": round(agreement(_tags(student, tok, tune, max_length), want), 5),
                "tune_distance": round(_distance(student, tune_targets), 5)}  # fmt: skip

    params = [p for p in student.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.learning_rate, weight_decay=0.01)
    total = max(1, args.epochs * len(targets))
    warm = max(1, int(0.05 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    history = [check(0)]
    best, best_state = history[0], copy.deepcopy(student.base_model.encoder.state_dict())
    for epoch in range(1, args.epochs + 1):
        student.train()
        order = list(range(len(targets)))
        rng.shuffle(order)
        loss_sum = 0.0
        for k in tqdm(order, desc=f"distil epoch {epoch}/{args.epochs}", unit="batch",
                      leave=False):  # fmt: skip
            loss = _loss(student, run.heads, targets[k])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        history.append(check(epoch, loss=round(loss_sum / max(1, len(order)), 5)))
        log(f"epoch {epoch}: loss {history[-1]['loss']:.4f}; on the tuning sentences, tags equal "
            f"to the teacher's {history[-1]['tune_agreement']:.2%}, hidden-state distance "
            f"{history[-1]['tune_distance']:.4f}")  # fmt: skip
        if history[-1]["tune_agreement"] >= best["tune_agreement"]:
            best, best_state = history[-1], copy.deepcopy(student.base_model.encoder.state_dict())
    student.base_model.encoder.load_state_dict(best_state)
    student.eval()
    record = {"teacher": str(run.path), "teacher_layers": teacher.config.num_hidden_layers,
              "layers_kept": keep, "sentences": len(sentences), "tune_sentences": len(tune),
              "epoch": best["epoch"], "tune_agreement": best["tune_agreement"],
              "tune_distance": best["tune_distance"],
              "history": history, "seconds": round(time.perf_counter() - started, 1),
              "args": asdict(args)}  # fmt: skip
    return student, record


def save_student(run: Run, student, out: Path, info: dict) -> Path:
    """Write the student as a run folder beside its teacher's baselines and event heads: built in
    a temporary folder and moved into `out` whole, so a stopped distillation leaves nothing half
    written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # a run folder like any other, not mkdtemp's private one
    try:
        student.save_pretrained(tmp / NER_DIR)
        run.ner_tokenizer.save_pretrained(tmp / NER_DIR)
        save_heads(run.heads, tmp / NER_DIR)
        for part in (BASELINES_DIR, EVENTS_DIR):  # trained apart from the encoder: unchanged
            if (run.path / part).is_dir():
                shutil.copytree(run.path / part, tmp / part)
        write_json(tmp / RUN_FILE, info)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def up_to_date(run: Run, out: Path, args: DistillArgs) -> bool:
    """Whether `out` is already this run's student with these arguments (its teacher's weights
    unchanged since)."""
    from khabar.io import read_json
    from khabar.model.net.int8 import weights_digest

    done = Path(out) / RUN_FILE
    if not done.is_file():
        return False
    record = read_json(done).get("distilled") or {}
    return (record.get("args") == asdict(args)
            and record.get("teacher_digest") == weights_digest(run.path / NER_DIR))  # fmt: skip


def distill_run(run: Run, own: tuple[list[list[str]], list[list[str]]], out: Path,
                args: DistillArgs, log: Log = print) -> dict:  # fmt: skip
    """Distil the run into a student run folder `out` (`distill` on `sentences_of`, `own` the
    dataset's training and validation words), its transfer scores measured again; returns the
    student's run.json."""
    from khabar.model.net.int8 import weights_digest
    from khabar.model.train.transfer import is_transfer_base, load_base, transfer_scores

    sentences, tune, sources = sentences_of(run, own, args, log)
    log(
        f"distilling {run.name} into {args.layers} layers on {len(sentences)} sentences "
        f"({', '.join(f'{k}: {v}' for k, v in sources.items())}), tuned on {len(tune)}"
    )
    student, record = distill(run, sentences, tune, args, log)
    record |= {"sources": sources, "teacher_digest": weights_digest(run.path / NER_DIR)}
    info = dict(run.info, run=Path(out).name, distilled=record)
    transfer = info.get("transfer")
    if transfer and is_transfer_base(transfer["base"]):  # the teacher's figures are not its
        base = load_base(transfer["base"])
        info["transfer"] = dict(
            transfer,
            **{
                part: transfer_scores(student, run.ner_tokenizer, base, part, run.max_length)
                for part in ("held_out", "tune")
            },
        )
    save_student(run, student, out, info)
    return info
