"""Model access check: probe every model the workshop uses and say how to fix what fails."""

from __future__ import annotations

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local_bedrock.catalog import MODELS, Model

STATUS_FIX = {
    "ok": "",
    "access denied": "Bedrock console > Model access > request access (Anthropic asks for a use-case form).",
    "retired": "Retired id: use a current model from utils.models.",
    "not in region": "Not offered in this region: try us-east-1 / us-west-2, or a cross-region profile (us. prefix).",
    "throttled": "Quota reached: wait a minute and re-run.",
    "not probed": "Image models cost per image; checked by listing only.",
}
_NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _probe_body(model: Model) -> dict:
    if model.family == "titan-embed":
        return {"inputText": "ping"}
    if model.family == "titan-embed-image":
        return {"inputText": "ping"}
    if model.family == "cohere-embed":
        return {"texts": ["ping"], "input_type": "search_query"}
    raise ValueError(model.family)


def probe(model: Model, runtime) -> dict:
    """Try one minimal, nearly free call; return a row (model, provider, status, fix, detail)."""
    row = {"model": model.model_id, "provider": model.provider, "status": "ok", "fix": "", "detail": ""}
    try:
        if "IMAGE" in model.output_modalities:
            row["status"] = "not probed"
        elif model.converse:
            runtime.converse(modelId=model.model_id, inferenceConfig={"maxTokens": 1},
                             messages=[{"role": "user", "content": [{"text": "ping"}]}])
        else:
            runtime.invoke_model(modelId=model.model_id, body=json.dumps(_probe_body(model)))
    except ClientError as err:
        code = err.response["Error"]["Code"]
        msg = err.response["Error"]["Message"]
        row["detail"] = f"{code}: {msg}"[:90]
        if code == "AccessDeniedException":
            row["status"] = "access denied"
        elif code == "ResourceNotFoundException" and "end of its life" in msg:
            row["status"] = "retired"
        elif code in ("ResourceNotFoundException", "ValidationException"):
            row["status"] = "not in region" if model.status != "RETIRED" else "retired"
        elif code == "ThrottlingException":
            row["status"] = "throttled"
        else:
            row["status"] = "error"
    row["fix"] = STATUS_FIX.get(row["status"], "See the detail column.")
    return row


def check_all(models: list[Model] | None = None, region: str | None = None,
              progress: bool = True) -> list[dict]:
    """Probe each model (default: every model in the registry); one row per model."""
    runtime = boto3.client("bedrock-runtime", region_name=region, config=_NO_RETRY)
    models = list(models or MODELS)
    if progress:
        from tqdm.auto import tqdm

        models = tqdm(models, desc="probing models", leave=False)
    return [probe(m, runtime) for m in models]
