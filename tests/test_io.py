"""Atomic writes and JSON/JSONL files: nothing half-written, Devanagari readable, secrets
private."""

from __future__ import annotations

import stat

import pytest

from khabar.io import (
    count_items,
    iter_items,
    read_json,
    read_jsonl,
    write_atomic,
    write_items,
    write_json,
    write_jsonl,
)


def test_json_and_jsonl_round_trip_readable(tmp_path):
    rows = [{"text": "मोदी ने कहा।", "n": 1}, {"text": "line\u2028separator", "n": 2}]
    assert write_jsonl(tmp_path / "r.jsonl", rows) == 2
    assert read_jsonl(tmp_path / "r.jsonl") == rows
    assert "मोदी" in (tmp_path / "r.jsonl").read_text(encoding="utf-8")  # not \\u-escaped
    write_json(tmp_path / "d" / "x.json", {"a": rows})  # parent folders are made
    assert read_json(tmp_path / "d" / "x.json") == {"a": rows}


def test_a_crash_mid_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "stage.json"
    write_json(path, {"done": True})

    def chunks():
        yield '{"done": '
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(path, chunks())
    assert read_json(path) == {"done": True}


def test_a_secret_is_private_from_the_first_byte(tmp_path):
    path = tmp_path / "secrets.json"
    write_json(path, {"password": "x"}, mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_items_stream_as_jsonl_or_as_one_json_array(tmp_path):
    """tasks.jsonl now, tasks.json before: both are written and read one item at a time."""
    rows = [{"data": {"text": "मोदी ने कहा।", "score": 0.5}}, {"data": {"text": "दूसरा"}}]
    for name in ("tasks.jsonl", "tasks.json"):
        path = tmp_path / name

        def gen(path=path):
            yield from rows
            assert not path.exists()  # written through a temporary file, not held in memory

        assert write_items(path, gen()) == 2
        assert list(iter_items(path)) == rows
    assert read_json(tmp_path / "tasks.json") == rows  # an old reader still reads it
    assert (
        count_items(tmp_path / "tasks.jsonl") == 2 and count_items(tmp_path / "tasks.json") is None
    )
    write_items(tmp_path / "empty.json", [])
    assert (
        read_json(tmp_path / "empty.json") == [] and list(iter_items(tmp_path / "empty.json")) == []
    )
    assert type(next(iter_items(tmp_path / "tasks.json"))["data"]["score"]) is float  # not Decimal
