"""The network: inputs, event heads, losses, decoding, and the device and precision it runs in."""
