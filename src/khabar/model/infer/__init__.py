"""Running a trained run over text: a run folder, batched inference, predictions, the engine."""
