"""Model access check: probe the models the workshop uses and say how to fix what fails.

`check_roles()` is what `python -m utils.doctor --live` and live `make preflight` run: for each
workshop role it reads the model's lifecycle (GetFoundationModel), finds its inference profile
(ListInferenceProfiles) when the region needs one, and makes one tiny call.
"""

from __future__ import annotations

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local_bedrock.catalog import MODELS, Model, invocation_id

MARKETPLACE_FIX = ("Access to serverless models is on by default, given AWS Marketplace "
                   "permissions: allow aws-marketplace:Subscribe and aws-marketplace:"
                   "ViewSubscriptions for this role (and the Anthropic use-case form, once per "
                   "account, for Claude). The console's 'Model access' page was retired in 2025.")
STATUS_FIX = {
    "ok": "",
    "access denied": MARKETPLACE_FIX,
    "end of life": "End-of-life id: use {replacement}.",
    "legacy, no access": ("Legacy models are closed to new accounts and to accounts that have not "
                          "used them for 15-30 days: use {replacement}."),
    "needs a profile": "Call it through an inference profile: {profile}.",
    "not in region": "Not offered on demand in {region}: try {replacement}, or another region.",
    "throttled": "Quota reached: wait a minute and re-run (08_llmops/04 shows how to pace calls).",
    "not probed": "Image models cost per image; checked by listing only.",
}
_NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _probe_body(model: Model) -> dict:
    if model.family in ("titan-embed", "titan-embed-image"):
        return {"inputText": "ping"}
    if model.family == "cohere-embed":
        return {"texts": ["ping"], "input_type": "search_query"}
    raise ValueError(model.family)


def replacement(model: Model) -> str:
    """The workshop role that replaces a model: same kind of output, same provider if it can."""
    from utils.models import role_models

    roles = role_models()
    if "IMAGE" in model.output_modalities:
        name = "IMAGE_MODEL"
    elif "EMBEDDING" in model.output_modalities:
        name = "EMBEDDING_MODEL"
    elif model.provider == "Anthropic":
        name = "CLAUDE_MODEL"
    else:
        name = "TEXT_MODEL"
    return f"utils.models.{name} ({roles[name].model_id})"


def diagnose(model: Model, code: str, message: str, region: str) -> str:
    """The row status for a Bedrock error on this model."""
    if code == "AccessDeniedException":
        return "access denied"
    if code == "ResourceNotFoundException" and "end of its life" in message:
        return "end of life"
    if code == "ResourceNotFoundException" and "Legacy" in message:
        return "legacy, no access"
    if code == "ValidationException" and "inference profile" in message:
        return "needs a profile"
    if code in ("ResourceNotFoundException", "ValidationException"):
        return "end of life" if model.status == "EOL" else "not in region"
    if code == "ThrottlingException":
        return "throttled"
    return "error"


def probe(model: Model, runtime, model_id: str | None = None) -> dict:
    """Try one minimal, nearly free call; return a row (model, status, fix, detail)."""
    region = runtime.meta.region_name
    model_id = model_id or invocation_id(model, region) or model.model_id
    row = {"model": model_id, "provider": model.provider, "status": "ok", "fix": "", "detail": ""}
    try:
        if "IMAGE" in model.output_modalities:
            row["status"] = "not probed"
        elif model.converse:
            runtime.converse(modelId=model_id, inferenceConfig={"maxTokens": 1},
                             messages=[{"role": "user", "content": [{"text": "ping"}]}])
        else:
            runtime.invoke_model(modelId=model_id, body=json.dumps(_probe_body(model)))
    except ClientError as err:
        code, msg = err.response["Error"]["Code"], err.response["Error"]["Message"]
        row["detail"] = f"{code}: {msg}"[:110]
        row["status"] = diagnose(model, code, msg, region)
    fix = STATUS_FIX.get(row["status"], "See the detail column.")
    row["fix"] = fix.format(replacement=replacement(model), region=region,
                            profile=invocation_id(model, region) or "none serves this region")
    return row


def check_all(models: list[Model] | None = None, region: str | None = None,
              progress: bool = True) -> list[dict]:
    """Probe each model (default: every model not end of life); one row per model."""
    runtime = boto3.client("bedrock-runtime", region_name=region, config=_NO_RETRY)
    models = list(models or [m for m in MODELS if m.status != "EOL"])
    if progress:
        from tqdm.auto import tqdm

        models = tqdm(models, desc="probing models", leave=False)
    return [probe(m, runtime) for m in models]


def check_roles(region: str | None = None) -> list[dict]:
    """Each workshop role against the account: lifecycle, profile, one tiny call; a fix each."""
    from utils.models import region as workshop_region
    from utils.models import region_for, role_models

    region = region or workshop_region()
    rows = []
    for name, model in role_models().items():
        where = region_for(model) if name == "IMAGE_MODEL" else region
        bedrock = boto3.client("bedrock", region_name=where, config=_NO_RETRY)
        runtime = boto3.client("bedrock-runtime", region_name=where, config=_NO_RETRY)
        ident = invocation_id(model, where)
        row = {"role": name, "region": where, "lifecycle": "?", "profile": "-", "call": "",
               "fix": ""}
        try:
            life = bedrock.get_foundation_model(modelIdentifier=model.model_id)
            row["lifecycle"] = life["modelDetails"].get("modelLifecycle", {}).get("status", "?")
        except ClientError as err:
            row["lifecycle"] = err.response["Error"]["Code"]
        if ident and ident != model.model_id:
            try:
                bedrock.get_inference_profile(inferenceProfileIdentifier=ident)
                row["profile"] = ident
            except ClientError as err:
                row["profile"] = f"{ident}: {err.response['Error']['Code']}"
        probed = probe(model, runtime, ident)
        row["call"], row["fix"] = probed["status"], probed["fix"]
        if row["lifecycle"] == "LEGACY" and not row["fix"]:
            row["fix"] = (f"Legacy in this account: plan to move to a newer model before its end "
                          f"of life ({model.lifecycle.eol or 'date on the model card'}).")
        rows.append(row)
    return rows
