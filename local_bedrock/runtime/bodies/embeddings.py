"""Embedding bodies: Titan Text Embeddings (V1, V2), Titan Multimodal Embeddings, Cohere Embed v3.

Titan V2::

    request  {"inputText": "...", "dimensions": 1024 | 512 | 256, "normalize": true,
              "embeddingTypes": ["float", "binary"]}
    response {"embedding": [...], "inputTextTokenCount": 5,
              "embeddingsByType": {"float": [...], "binary": [0, 1, ...]}}

Titan V1 (G1 - Text): request {"inputText": "..."}; response {"embedding": [1536 floats],
"inputTextTokenCount": n}.

Titan Multimodal G1: request {"inputText": "...", "inputImage": "<base64>",
"embeddingConfig": {"outputEmbeddingLength": 256 | 384 | 1024}}; response {"embedding": [...],
"inputTextTokenCount": n}. Offline, an inputImage is embedded by lab 05's stand-in
(`local_bedrock.text.vision.image_vector`: measured colours, brightness and texture), in the
same space as the text vectors; cross-modal search with it is weak.

Cohere Embed v3::

    request  {"texts": [...], "input_type": "search_document" | "search_query" |
              "classification" | "clustering", "truncate": "NONE" | "START" | "END",
              "embedding_types": ["float", "int8", "uint8", "binary", "ubinary"]}
    response {"id": "...", "texts": [...], "embeddings": [[...]], "response_type":
              "embeddings_floats"}   (or embeddings {"float": [[...]], ...} and
              "response_type": "embeddings_by_type" when embedding_types is given)

Vectors are real sentence embeddings (`local_bedrock.text.embeddings`), projected to the
requested dimension so cosine similarities are the same whatever the dimension.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from local_bedrock import errors
from local_bedrock.catalog import Model
from local_bedrock.runtime.bodies import common as c
from local_bedrock.text.embeddings import embed
from local_bedrock.text.tokens import count_tokens, truncate_to_tokens

TITAN_V2_KEYS = frozenset({"inputText", "dimensions", "normalize", "embeddingTypes"})
TITAN_MAX_CHARS = 50_000
COHERE_KEYS = frozenset({"texts", "images", "input_type", "truncate", "embedding_types"})
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering",
                      "image")
COHERE_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
COHERE_MAX_TEXTS = 96
COHERE_MAX_CHARS = 2048
IMAGE_DECODE_MESSAGE = ("Unable to process the provided inputImage: the bytes are not a PNG or "
                        "JPEG image the local engine (lab 05) can decode.")
IMAGE_LAB_MESSAGE = ("Image embeddings are served by lab 05's engine code, which is not "
                     "installed in this local engine yet; send inputText only.")


def _floats(vector: np.ndarray) -> list[float]:
    return [float(x) for x in vector.tolist()]


def _too_many_tokens(limit: int, count: int) -> errors.EngineError:
    return errors.validation(
        f"400 Bad Request: Too many input tokens. Max input tokens: {limit}, request input "
        f"token count: {count} ")


# =========================================================================== Titan text

def titan(model: Model, body: Any) -> dict:
    c.require_object(body, "")
    v1 = model.model_id.endswith("titan-embed-text-v1")
    c.check_keys(body, "", frozenset({"inputText"}) if v1 else TITAN_V2_KEYS, ("inputText",))
    text = c.get_str(body, "inputText", "", min_length=1, max_length=TITAN_MAX_CHARS)
    tokens = count_tokens(text)
    if model.context_tokens and tokens > model.context_tokens:
        raise _too_many_tokens(model.context_tokens, tokens)
    if v1:
        dims = model.embedding_dims[0] if model.embedding_dims else 1536
        vector = embed([text], dims, normalize=False)[0]
        return {"embedding": _floats(vector), "inputTextTokenCount": tokens}
    allowed = tuple(model.embedding_dims) or (1024, 512, 256)
    dims = c.get_int(body, "dimensions", "", 1024)
    if dims not in allowed:
        raise c.malformed("/dimensions", f"{dims} is not a valid enum value")
    normalize = c.get_bool(body, "normalize", "", True)
    types = c.get_str_list(body, "embeddingTypes", "", ["float"], min_items=1)
    for i, t in enumerate(types):
        if t not in ("float", "binary"):
            raise c.malformed(f"/embeddingTypes/{i}", f"{t} is not a valid enum value")
    vector = embed([text], dims, normalize=normalize)[0]
    floats = _floats(vector)
    by_type: dict[str, list] = {}
    if "float" in types:
        by_type["float"] = floats
    if "binary" in types:
        by_type["binary"] = [1 if x > 0 else 0 for x in vector.tolist()]
    return {"embedding": floats, "inputTextTokenCount": tokens, "embeddingsByType": by_type}


# =========================================================================== Titan multimodal

def titan_image(model: Model, body: Any) -> dict:
    c.require_object(body, "")
    c.check_keys(body, "", frozenset({"inputText", "inputImage", "embeddingConfig"}))
    if "inputText" not in body and "inputImage" not in body:
        raise c.malformed("", "required key [inputText] not found")
    text = c.get_str(body, "inputText", "", "", min_length=1)
    tokens = count_tokens(text) if text else 0
    if model.context_tokens and tokens > model.context_tokens:
        raise _too_many_tokens(model.context_tokens, tokens)
    config = c.require_object(body.get("embeddingConfig", {}), "/embeddingConfig")
    c.check_keys(config, "/embeddingConfig", frozenset({"outputEmbeddingLength"}))
    allowed = tuple(model.embedding_dims) or (1024, 384, 256)
    dims = c.get_int(config, "outputEmbeddingLength", "/embeddingConfig", 1024)
    if dims not in allowed:
        raise c.malformed("/embeddingConfig/outputEmbeddingLength",
                          f"{dims} is not a valid enum value")
    if "inputImage" in body:
        vector = _with_image(text, body["inputImage"], dims)
    else:
        vector = embed([text], dims, normalize=True)[0]
    return {"embedding": _floats(vector), "inputTextTokenCount": tokens}


def _with_image(text: str, image_b64: Any, dims: int) -> np.ndarray:
    """Lab 05's offline stand-in for an image (and optional text): `vision.image_vector`, a
    measured-caption + colour/texture vector in the text space; with text, the mean of both."""
    from local_bedrock.text import embeddings as text_embeddings
    from local_bedrock.text import vision

    data = c.decode_base64(image_b64, "/inputImage")
    try:
        parts = [vision.image_vector(data).astype(np.float64)]
    except ValueError:
        raise errors.validation(IMAGE_DECODE_MESSAGE) from None
    if text:
        parts.append(embed([text], text_embeddings.NATIVE_DIM, normalize=True)[0])
    vector = np.mean(parts, axis=0)
    if dims != text_embeddings.NATIVE_DIM:  # the same projection the text vectors get
        vector = vector @ text_embeddings._projection(dims).T
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


# =========================================================================== Cohere

def cohere(model: Model, body: Any) -> dict:
    c.require_object(body, "")
    c.check_keys(body, "", COHERE_KEYS, ("input_type",))
    input_type = c.get_str(body, "input_type", "", enum=COHERE_INPUT_TYPES)
    if "images" in body or input_type == "image":
        raise errors.validation(IMAGE_LAB_MESSAGE.replace("inputText", "texts"))
    texts = c.get_str_list(body, "texts", "", min_items=1, max_items=COHERE_MAX_TEXTS)
    for i, text in enumerate(texts):
        if len(text) > COHERE_MAX_CHARS:
            raise c.malformed(f"/texts/{i}",
                              f"expected maxLength: {COHERE_MAX_CHARS}, actual: {len(text)}")
    truncate = c.get_str(body, "truncate", "", "NONE", enum=("NONE", "START", "END"))
    types = c.get_str_list(body, "embedding_types", "", None, min_items=1)
    for i, t in enumerate(types or []):
        if t not in COHERE_TYPES:
            raise c.malformed(f"/embedding_types/{i}", f"{t} is not a valid enum value")
    limit = model.context_tokens or 512
    used = []
    for i, text in enumerate(texts):
        n = count_tokens(text)
        if n > limit:
            if truncate == "NONE":
                raise errors.validation(
                    f"texts.{i}: input is too long ({n} tokens, the maximum is {limit}); "
                    "shorten it or set truncate to START or END")
            text = _truncate(text, limit, truncate)
        used.append(text)
    dims = model.embedding_dims[0] if model.embedding_dims else 1024
    vectors = embed(used, dims, normalize=True)
    response_id = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                 f"{model.model_id}|{input_type}|" + "\x1f".join(texts)))
    if types is None:
        return {"id": response_id, "texts": used,
                "embeddings": [_floats(v) for v in vectors],
                "response_type": "embeddings_floats"}
    by_type = {t: _quantize(vectors, t) for t in dict.fromkeys(types)}
    return {"id": response_id, "texts": used, "embeddings": by_type,
            "response_type": "embeddings_by_type"}


def _truncate(text: str, limit: int, side: str) -> str:
    if side == "END":
        return truncate_to_tokens(text, limit)[0]
    # START: keep the last `limit` tokens, found by cutting from the left
    words = text.split()
    while words and count_tokens(" ".join(words)) > limit:
        words = words[max(1, len(words) // 20):]
    return " ".join(words)


def _quantize(vectors: np.ndarray, kind: str) -> list[list]:
    if kind == "float":
        return [_floats(v) for v in vectors]
    if kind in ("int8", "uint8"):
        scale = np.maximum(np.abs(vectors).max(axis=1, keepdims=True), 1e-12)
        q = np.clip(np.rint(vectors / scale * 127), -128, 127).astype(int)
        if kind == "uint8":
            q = q + 128
        return [[int(x) for x in row] for row in q]
    bits = np.packbits((vectors > 0).astype(np.uint8), axis=1).astype(int)
    if kind == "binary":
        bits = bits - 128
    return [[int(x) for x in row] for row in bits]


# =========================================================================== usage

def usage(body: dict) -> tuple[int, int]:
    if "inputTextTokenCount" in body:
        return int(body.get("inputTextTokenCount") or 0), 0
    texts = body.get("texts") or []
    return sum(count_tokens(t) for t in texts if isinstance(t, str)), 0
