"""bedrock control plane families the engine serves itself (the rest goes to moto)."""
