"""Training a run: shared arguments and fit loop, the trainers, transfer from public corpora."""
