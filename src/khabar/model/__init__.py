"""The model: one encoder that tags entities, event triggers and argument roles, the baselines it
must beat, and the run that goes back over the corpus.

Six rooms, each importing only those below it (`.importlinter` keeps the order):
assess (scoring, reports, choosing runs, cross-validation) -> train (the trainers, transfer) ->
base (base weights: khabar's small BERT, the e5 conversion) -> infer (a run folder, running it
over text) -> net (the network, its inputs, heads, losses, decoding, device and precision) ->
measure (metrics and baselines).
"""
