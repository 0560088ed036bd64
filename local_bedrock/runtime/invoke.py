"""InvokeModel and InvokeModelWithResponseStream: each provider's own body format."""

from __future__ import annotations

import json
import time
from typing import Iterator

from local_bedrock.errors import EngineError, validation
from local_bedrock.runtime import capabilities, models
from local_bedrock.runtime.converse import admit, generate
from local_bedrock.text.tokens import split_tokens
from local_bedrock.wire.validation import load_json

EMBED_FAMILIES = ("titan-embed", "titan-embed-image", "cohere-embed")
IMAGE_FAMILIES = ("titan-image", "nova-canvas", "stability")


MALFORMED = "Malformed input request, please reformat your input and try again."


def json_body(raw: bytes | str) -> object:
    """A model body parsed as JSON, or Bedrock's 'Malformed input request' (also for invalid
    UTF-8, lone surrogates and absurd nesting, which would otherwise reach the model code)."""
    try:
        return load_json(raw, "model body")
    except EngineError:
        raise validation(MALFORMED) from None


def _body(params: dict) -> dict:
    content_type = (params.get("contentType") or "application/json").split(";")[0]
    if content_type != "application/json":
        raise validation(f"contentType {content_type} is not supported; use application/json.")
    body = json_body(params.get("body") or b"")
    if not isinstance(body, dict):
        raise validation("Malformed input request: the body must be a JSON object.")
    return body


def _token_headers(input_tokens: int, output_tokens: int, latency_ms: int) -> dict:
    return {"X-Amzn-Bedrock-Input-Token-Count": str(input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(max(latency_ms, 1))}


def invoke_model(engine, params: dict) -> dict:
    """InvokeModel: text, embedding and image models, each in its provider's JSON format."""
    from local_bedrock.runtime import providers

    model = models.resolve(params["modelId"], engine=engine)
    served = _served(engine, model, params)
    body = _body(params)
    start = time.perf_counter()
    if model.family in EMBED_FAMILIES:
        engine.faults.admit(model.model_id, 1)
        out = providers.embed_request(model.model_id, body)
        in_tok, out_tok = providers.usage_of(model.model_id, out)
    elif model.family in IMAGE_FAMILIES:
        from local_bedrock.runtime import images

        engine.faults.admit(model.model_id, 1)
        out = images.generate_image(model.model_id, body)
        in_tok, out_tok = providers.usage_of(model.model_id, out)
    else:
        req = providers.parse_text_request(model.model_id, body)
        req.model_id = params["modelId"]
        req.resolved_model = model.model_id
        req.served = served  # type: ignore[attr-defined]
        result = generate(engine, req)
        engine.faults.token_delay(result.output_tokens, served.token_pace_factor)
        out = providers.render_text_response(model.model_id, result)
        in_tok, out_tok = result.input_tokens, result.output_tokens
    latency = int((time.perf_counter() - start) * 1000)
    return {"body": json.dumps(out).encode(), "contentType": "application/json",
            "_headers": _token_headers(in_tok, out_tok, latency), **_served_output(served)}


def _served(engine, model, params: dict) -> capabilities.Served:
    """The X-Amzn-Bedrock-Service-Tier / -PerformanceConfig-Latency request headers, checked."""
    return capabilities.check_tiers(model, params.get("serviceTier"),
                                    params.get("performanceConfigLatency"), engine.call_region)


def invoke_model_stream(engine, params: dict) -> dict:
    """InvokeModelWithResponseStream: the provider's stream chunks, one event each."""
    from local_bedrock.runtime import providers

    model = models.resolve(params["modelId"], streaming=True, engine=engine)
    if model.family in EMBED_FAMILIES + IMAGE_FAMILIES:
        raise validation("The model is unsupported for streaming.")
    served = _served(engine, model, params)
    body = _body(params)
    req = providers.parse_text_request(model.model_id, body)
    req.model_id = params["modelId"]
    req.resolved_model = model.model_id
    req.served = served  # type: ignore[attr-defined]
    admit(engine, req)  # refusals come back as HTTP errors, before the stream starts
    if model.family == "nova" and _text_only(body) and req.model_id not in engine.custom_models:
        body_stream = _composed_while_streaming(engine, model, req, served)
    else:
        result = generate(engine, req, admitted=True)
        chunks = providers.render_stream_chunks(model.model_id, result, split_tokens(result.text))
        body_stream = _paced(engine, chunks, served.token_pace_factor)
    return {"body": body_stream, "contentType": "application/json", **_served_output(served)}


def _text_only(body: dict) -> bool:
    """No images, documents or videos in a Nova body: nothing the responder could refuse mid-stream."""
    return all(not ({"image", "document", "video"} & set(block))
               for m in body.get("messages") or [] if isinstance(m, dict)
               for block in m.get("content") or [] if isinstance(block, dict))


def _composed_while_streaming(engine, model, req, served: capabilities.Served) -> Iterator[dict]:
    """Nova's first chunk (messageStart) leaves at once and the answer is composed after it, so
    the first chunk does not wait for a long document to be read (as live)."""
    from local_bedrock.runtime import providers

    head = {"messageStart": {"role": "assistant"}}
    yield {"chunk": {"bytes": json.dumps(head).encode()}}
    result = generate(engine, req, admitted=True)
    chunks = providers.render_stream_chunks(model.model_id, result, split_tokens(result.text))
    assert chunks[0] == head, chunks[0]  # Nova's stream always opens with it
    yield from _paced(engine, chunks[1:], served.token_pace_factor)


def _served_output(served: capabilities.Served) -> dict:
    """serviceTier / performanceConfigLatency output members (response headers) when asked."""
    return {**({"serviceTier": served.tier} if served.tier else {}),
            **({"performanceConfigLatency": served.latency} if served.latency else {})}


def _paced(engine, chunks: list[dict], pace: float = 1.0) -> Iterator[dict]:
    for chunk in chunks:
        engine.faults.token_delay(1, pace)
        yield {"chunk": {"bytes": json.dumps(chunk).encode()}}
