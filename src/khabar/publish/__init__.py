"""Publishing to the Hugging Face Hub: hub (card settings, atomic folder build, upload) ->
dataset_card (the dataset's folder and card) and model_card (a run's folder and card)."""
