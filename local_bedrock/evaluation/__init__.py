"""Bedrock model evaluation jobs offline: requests validated and stored, never run.

See `models` for why the engine does not run them.
"""
