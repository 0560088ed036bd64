"""Text machinery the engine computes for real: tokens, embeddings, generation."""
