"""Model inputs: word lists encoded into sub-token windows that never truncate, and padded
batches of them (shared by training, inference and the event heads)."""

from __future__ import annotations

from dataclasses import dataclass

from khabar.spans import word_windows


@dataclass
class Window:
    """One model input cut from a word list: sub-token ids with the words it owns."""

    row: int
    input_ids: list[int]
    first: list[int]  # position in input_ids of the first sub-token of each owned word
    words: list[int]  # those words' indices in the word list


def _specials(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a sequence ([CLS]…[SEP], <s>…</s>)."""
    bare = tokenizer("x", add_special_tokens=False)["input_ids"]
    full = tokenizer("x")["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return full[:i], full[i + len(bare) :]
    return [], []


def encode(tokenizer, word_lists: list[list[str]], max_length: int) -> list[Window]:
    """Sub-token windows of at most `max_length` ids (special tokens included) for word lists.

    Lists that do not fit are cut into overlapping windows (`spans.word_windows`), never
    truncated. A word with no sub-token (a lone joiner character) is in no window: callers tag it O.
    """
    if not word_lists:
        return []
    pre, post = _specials(tokenizer)
    budget = max(1, max_length - len(pre) - len(post))
    enc = tokenizer(word_lists, is_split_into_words=True, add_special_tokens=False)
    out: list[Window] = []
    for row, words in enumerate(word_lists):
        ids = enc["input_ids"][row]
        first: list[int | None] = [None] * len(words)
        ends = [0] * len(words)
        for pos, w in enumerate(enc.word_ids(row)):
            if w is None:
                continue
            if first[w] is None:
                first[w] = pos
            ends[w] = pos + 1
        lengths = [0 if f is None else e - f for f, e in zip(first, ends, strict=True)]
        for s, e, own_s, own_e in word_windows(lengths, budget, budget // 4):
            present = [w for w in range(s, e) if first[w] is not None]
            if not present:
                continue
            lo = first[present[0]]
            piece = ids[lo : ends[present[-1]]][:budget]
            owned = [w for w in present if own_s <= w < own_e]
            out.append(Window(row, pre + piece + post, [len(pre) + first[w] - lo for w in owned],
                              owned))  # fmt: skip
    return out


def length_batches(windows: list[Window], batch_size: int) -> list[list[Window]]:
    """Windows in batches of similar length, so padding costs little."""
    ordered = sorted(windows, key=lambda w: len(w.input_ids))
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def pad(batch: list[Window], pad_id: int):
    """input_ids and attention_mask tensors of a batch, right-padded."""
    import torch

    width = max(len(w.input_ids) for w in batch)
    ids = torch.tensor([w.input_ids + [pad_id] * (width - len(w.input_ids)) for w in batch])
    mask = torch.tensor([[1] * len(w.input_ids) + [0] * (width - len(w.input_ids))
                         for w in batch])  # fmt: skip
    return ids, mask
