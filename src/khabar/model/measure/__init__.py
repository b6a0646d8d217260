"""What a model is measured with and against: entity / ACE / SemEval scores and baselines."""
