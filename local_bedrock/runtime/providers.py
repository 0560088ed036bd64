"""InvokeModel / InvokeModelWithResponseStream body formats, per provider family.

Every model on Bedrock takes its provider's own JSON body (the catalog's `family` field says
which). This module validates those bodies the way Bedrock does, turns them into the
provider-neutral `GenerationRequest` the local responder answers, and renders the responder's
`GenerationResult` back into the provider's response body or stream chunks.

Pure functions, no I/O:

- `parse_text_request(model_id, body)`       provider body -> GenerationRequest
- `render_text_response(model_id, result)`   GenerationResult -> provider response body
- `render_stream_chunks(model_id, result, pieces)` -> the provider's stream chunk payloads
- `embed_request(model_id, body)`            embedding body -> embedding response body
- `usage_of(model_id, response_body)`        (input_tokens, output_tokens) read back

Families: anthropic, anthropic-legacy, nova, titan-text, llama, mistral (text) and
titan-embed, titan-embed-image, cohere-embed (embeddings). The per-family code lives in
`local_bedrock.runtime.bodies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from local_bedrock import catalog, errors
from local_bedrock.catalog import Model
from local_bedrock.runtime.bodies import anthropic, nova, prompts
from local_bedrock.runtime.bodies import embeddings as embedding_bodies
from local_bedrock.text.types import GenerationRequest, GenerationResult

__all__ = ["parse_text_request", "render_text_response", "render_stream_chunks",
           "embed_request", "usage_of", "TEXT_FAMILIES", "EMBEDDING_FAMILIES"]


@dataclass(frozen=True)
class _TextFamily:
    parse: Callable[[Model, Any], GenerationRequest]
    render: Callable[[Model, GenerationResult], dict]
    stream: Callable[[Model, GenerationResult, list[str]], list[dict]]
    usage: Callable[[dict], tuple[int, int]]


_TEXT: dict[str, _TextFamily] = {
    "anthropic": _TextFamily(anthropic.parse, anthropic.render, anthropic.stream,
                             anthropic.usage),
    "anthropic-legacy": _TextFamily(anthropic.parse_legacy, anthropic.render_legacy,
                                    anthropic.stream_legacy, anthropic.usage_legacy),
    "nova": _TextFamily(nova.parse, nova.render, nova.stream, nova.usage),
    "titan-text": _TextFamily(prompts.parse_titan, prompts.render_titan, prompts.stream_titan,
                              prompts.usage_titan),
    "llama": _TextFamily(prompts.parse_llama, prompts.render_llama, prompts.stream_llama,
                         prompts.usage_llama),
    "mistral": _TextFamily(prompts.parse_mistral, prompts.render_mistral,
                           prompts.stream_mistral, prompts.usage_mistral),
}

_EMBED: dict[str, Callable[[Model, Any], dict]] = {
    "titan-embed": embedding_bodies.titan,
    "titan-embed-image": embedding_bodies.titan_image,
    "cohere-embed": embedding_bodies.cohere,
}

TEXT_FAMILIES = tuple(_TEXT)
EMBEDDING_FAMILIES = tuple(_EMBED)


def _model(model_id: str) -> Model:
    model = catalog.find(model_id)
    if model is None:
        raise errors.validation("The provided model identifier is invalid.")
    return model


def _text_family(model_id: str) -> tuple[Model, _TextFamily]:
    model = _model(model_id)
    family = _TEXT.get(model.family)
    if family is None:
        if model.family in _EMBED:
            raise errors.validation(
                f"{model.model_id} is an embedding model: its body takes text to embed "
                "(see embed_request), not a generation request, and it does not stream.")
        raise errors.validation(
            f"The local engine has no body format for model family {model.family!r} "
            f"({model.model_id}).")
    return model, family


def parse_text_request(model_id: str, body: dict) -> GenerationRequest:
    """Validate a text model's InvokeModel body as Bedrock does; convert it to a request."""
    model, family = _text_family(model_id)
    return family.parse(model, body)


def render_text_response(model_id: str, result: GenerationResult) -> dict:
    """The JSON body InvokeModel returns for this model's family."""
    model, family = _text_family(model_id)
    return family.render(model, result)


def render_stream_chunks(model_id: str, result: GenerationResult,
                         pieces: list[str]) -> list[dict]:
    """The chunk payloads InvokeModelWithResponseStream sends, the last one with Bedrock's
    `amazon-bedrock-invocationMetrics`. `pieces` is the output text already split."""
    model, family = _text_family(model_id)
    return family.stream(model, result, list(pieces or []))


def embed_request(model_id: str, body: dict) -> dict:
    """Validate an embedding model's body and return its response body with real vectors."""
    model = _model(model_id)
    handler = _EMBED.get(model.family)
    if handler is None:
        raise errors.validation(
            f"{model.model_id} is not an embedding model (family {model.family!r}).")
    return handler(model, body)


def usage_of(model_id: str, response_body: dict) -> tuple[int, int]:
    """(input_tokens, output_tokens) of a response body (or final stream chunk) of any family."""
    if not isinstance(response_body, dict):
        return 0, 0
    metrics = response_body.get("amazon-bedrock-invocationMetrics")
    if isinstance(metrics, dict) and "inputTokenCount" in metrics:
        return int(metrics.get("inputTokenCount") or 0), int(metrics.get("outputTokenCount") or 0)
    model = _model(model_id)
    if model.family in _EMBED:
        return embedding_bodies.usage(response_body)
    family = _TEXT.get(model.family)
    if family is None:
        return 0, 0
    return family.usage(response_body)
