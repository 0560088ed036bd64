"""Worked solution to 00.02's "Your turn": which models a region serves only through an
inference profile, found with Bedrock's own APIs, and one call with the id that works.

``ListFoundationModels`` says, per model, how it can be invoked (``inferenceTypesSupported``:
``ON_DEMAND`` in-region, ``INFERENCE_PROFILE`` only through a profile); ``ListInferenceProfiles``
says which profiles (``us.``, ``eu.``, ``global.`` ...) contain each model. For every text model
of the region it pairs the two, then calls a few with ``maxTokens=1``: the workshop's profile-only
models by their bare id (``ValidationException``) and by a listed profile id (answers). Run it from the notebook
(``from solutions.profile_only_models import run, check``) or from the tests.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

import utils

REGION = "us-west-2"
CALLS = 3  # profile-only models called (maxTokens=1, a fraction of a cent live): the workshop's own


def _call(runtime, model_id: str) -> str:
    try:
        runtime.converse(modelId=model_id, inferenceConfig={"maxTokens": 1},
                         messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        return "ok"
    except ClientError as err:
        return err.response["Error"]["Code"]


def run(region: str = REGION) -> list[dict]:
    """One row per text model of the region: how it is invoked, its profiles, and (for some)
    what a call by bare id and by profile id answers."""
    bedrock = boto3.client("bedrock", region_name=region)
    runtime = boto3.client("bedrock-runtime", region_name=region)
    models = bedrock.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
    profiles: dict[str, list[str]] = {}
    for p in bedrock.list_inference_profiles(typeEquals="SYSTEM_DEFINED")["inferenceProfileSummaries"]:
        for m in p["models"]:
            profiles.setdefault(m["modelArn"].split("/")[-1], []).append(p["inferenceProfileId"])
    ours = {m.model_id for m in utils.models.role_models().values()}  # models the workshop has access to
    rows, called = [], 0
    for m in models:
        row = {"modelId": m["modelId"], "invoked by": "+".join(m["inferenceTypesSupported"]),
               "profiles here": ", ".join(sorted(set(profiles.get(m["modelId"], [])))) or "-",
               "bare id": "", "profile id": ""}
        profile_only = "ON_DEMAND" not in m["inferenceTypesSupported"]
        if profile_only and called < CALLS and profiles.get(m["modelId"]) and m["modelId"] in ours:
            row["bare id"] = _call(runtime, m["modelId"])
            row["profile id"] = _call(runtime, profiles[m["modelId"]][0])
            called += 1
        elif not profile_only and not any(r["bare id"] for r in rows if "ON_DEMAND" in r["invoked by"]):
            row["bare id"] = _call(runtime, m["modelId"])  # one in-region model, for contrast
        rows.append(row)
    return rows


def check(rows: list[dict]) -> None:
    """Some models are profile-only here; each one called fails by bare id with
    ValidationException and answers through a profile that ListInferenceProfiles listed, while
    an in-region (ON_DEMAND) model answers by its bare id."""
    profile_only = [r for r in rows if "ON_DEMAND" not in r["invoked by"]]
    assert profile_only, "no profile-only text model in this region"
    assert all(r["profiles here"] != "-" for r in profile_only), "a profile-only model without a profile"
    called = [r for r in profile_only if r["bare id"]]
    assert called, "no profile-only model was called"
    in_region = [r for r in rows if "ON_DEMAND" in r["invoked by"] and r["bare id"]]
    assert all(r["bare id"] == "ok" for r in in_region), in_region
    for r in called:
        assert r["bare id"] == "ValidationException", r
        assert r["profile id"] == "ok", r
