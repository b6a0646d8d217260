"""khabar: raw Hindi news -> Label Studio -> Hugging Face dataset -> model."""

__version__ = "0.1.0"
