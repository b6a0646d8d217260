"""The dataset: a Label Studio export becomes a Hugging Face DatasetDict and CoNLL files.

rows (validated sentence rows, one decided version per task) -> splits (by article) -> build
(DatasetDict + CoNLL on disk); conll also reads published CoNLL corpora for training.
"""
