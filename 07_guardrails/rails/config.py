"""Loaded by NeMo Guardrails with this folder: registers the workshop's local embeddings, so the
user-intent index is built on this machine and nothing is downloaded (NeMo's default, FastEmbed,
would fetch a model at first use)."""

from nemoguardrails.embeddings.providers.registry import EmbeddingProviderRegistry

from utils.guardrails import LocalEmbeddings


def init(app) -> None:
    """Called by LLMRails before it builds its embedding indexes."""
    if LocalEmbeddings.engine_name not in EmbeddingProviderRegistry().list():  # once per process
        app.register_embedding_provider(LocalEmbeddings, LocalEmbeddings.engine_name)
