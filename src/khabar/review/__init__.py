"""Finding annotation errors: out-of-fold predictions, cleanlab's label quality and span rules
rank the annotations a reviewer should look at first (`khabar review-errors`)."""
