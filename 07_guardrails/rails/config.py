"""Loaded by NeMo Guardrails with this folder: registers the workshop's local embeddings, so the
user-intent index is built on this machine and nothing is downloaded (NeMo's default, FastEmbed,
would fetch a model at first use). LocalEmbeddings comes from the lab's guardrail_eval.py, which
is importable wherever the lab's notebooks and tests run (their folder is on the path)."""

from guardrail_eval import LocalEmbeddings
from nemoguardrails.embeddings.providers.registry import EmbeddingProviderRegistry


def init(app) -> None:
    """Called by LLMRails before it builds its embedding indexes."""
    if LocalEmbeddings.engine_name not in EmbeddingProviderRegistry().list():  # once per process
        app.register_embedding_provider(LocalEmbeddings, LocalEmbeddings.engine_name)
