"""A Kubernetes API server emulator for Portico's tests, built on kmock (see emulator.py)."""
