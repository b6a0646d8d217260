"""The model in Label Studio's loop: an ML backend that pre-annotates the task an annotator
opens (protocol, service, server) and retrains from Label Studio's annotations (trainer)."""
