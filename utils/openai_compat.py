"""The openai SDK pointed at Bedrock's OpenAI-compatible endpoint, in whatever mode setup() chose.

Live: `https://bedrock-runtime.{region}.amazonaws.com/openai/v1` with a Bedrock API key from
`AWS_BEARER_TOKEN_BEDROCK` (short-term keys: console, or the `aws-bedrock-token-generator`
package). Offline: the local engine's `/openai/v1` routes; any non-empty key is accepted there.
Replay mode records boto3 calls only, so the openai SDK's calls answer with a clear error.
"""

from __future__ import annotations

import os

API_KEY_ENV = "AWS_BEARER_TOKEN_BEDROCK"
OFFLINE_KEY = "offline-workshop-key"  # the engine checks that a key is sent, not which
ROLE_TAG = "openai-compatible"  # registry tag of the model the lab calls through /openai/v1


def _workshop():
    from utils.setup import current

    ws = current()
    if ws is None:
        raise RuntimeError("Call utils.setup() first: it decides where the openai SDK goes.")
    return ws


def base_url(ws=None) -> str:
    """The OpenAI-compatible base URL: bedrock-runtime's /openai/v1, or the engine's offline."""
    ws = ws or _workshop()
    if ws.endpoint_url:
        return ws.endpoint_url + "/openai/v1"
    return f"https://bedrock-runtime.{ws.region}.amazonaws.com/openai/v1"


def api_key(ws=None) -> str:
    """The Bedrock API key to send as the bearer token (offline: a placeholder)."""
    ws = ws or _workshop()
    if ws.endpoint_url:
        return OFFLINE_KEY
    key = os.environ.get(API_KEY_ENV)
    if not key:
        raise RuntimeError(
            f"Live mode: the openai SDK needs a Bedrock API key for {ws.region}. Generate a "
            f"short-term key (Bedrock console > API keys, or `pip install "
            f"aws-bedrock-token-generator` then `aws_bedrock_token_generator.provide_token()`) "
            f"and set {API_KEY_ENV} before utils.setup().")
    return key


def environment(ws=None) -> dict[str, str]:
    """OPENAI_BASE_URL and OPENAI_API_KEY for this mode (what an unchanged OpenAI app reads)."""
    return {"OPENAI_BASE_URL": base_url(ws), "OPENAI_API_KEY": api_key(ws)}


def client(ws=None, **kwargs):
    """An `openai.OpenAI` client for Bedrock's OpenAI-compatible endpoint in this mode."""
    from openai import OpenAI

    return OpenAI(base_url=base_url(ws), api_key=api_key(ws), **kwargs)


def model_id(ws=None) -> str:
    """The id of the registry's OpenAI-compatible role model, resolved for the region."""
    from utils import models

    ws = ws or _workshop()
    return models.role(ROLE_TAG, ws.region)
