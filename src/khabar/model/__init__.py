"""The model: a Hindi NER tagger and an event-type classifier fine-tuned with transformers, the
baselines beside them, and the run that goes back over the corpus.

base (the self-built small BERT) -> run (a run folder, loading it, batched inference) ->
training (fine-tuning, pretraining) -> evaluation (metrics) and baselines (CRF, TF-IDF) ->
report (report.md, confusion plots) and prediction (every article, exact spans).
"""
