"""The corpus: raw news files in, cleaned articles out (`datasets/raw` -> `datasets/cleaned`).

read (raw .txt/.jsonl) -> clean (boilerplate, repeats, NFC) with metadata (dates, outlets,
datelines) and sentences (splitting) -> article (the cleaned record and its JSONL) -> ingest (the
whole stage).
"""
