"""Worked solution to 08.09's "Your turn": does a new feature fit the Claude model's quota?

400 requests a minute, prompts of about 1,200 tokens, answers of about 250. The tokens-per-minute
quota the calls count against is read from Service Quotas (on-demand for a bare model id,
cross-Region for a ``us.``/``eu.``/... profile, global for ``global.``). Two numbers must fit in
it: the **settled** use of a minute (input + output x the model's burndown rate) and the
**reservation** while all the minute's calls are in flight (input + ``maxTokens`` each). The
solution tries several ``maxTokens`` and finds the largest that fits. Run it from the notebook
(``from solutions.quotas_fits import run, check``) or the tests.
"""

from __future__ import annotations

import boto3

from utils import models

CALLS_PER_MINUTE, PROMPT_TOKENS, ANSWER_TOKENS = 400, 1200, 250
GEOGRAPHIES = ("us", "eu", "apac", "jp", "au", "ca", "us-gov")


def scope_of_call(model_id: str) -> str:
    prefix = model_id.split(".", 1)[0]
    return "global" if prefix == "global" else "cross-region" if prefix in GEOGRAPHIES else "on-demand"


def tpm_quota(model_id: str, quotas_api=None) -> float:
    """The applied tokens-per-minute quota a call by `model_id` counts against, from Service Quotas."""
    quotas_api = quotas_api or boto3.client("service-quotas")
    model = models.get(model_id)
    scope = scope_of_call(model_id)
    for page in quotas_api.get_paginator("list_service_quotas").paginate(ServiceCode="bedrock"):
        for q in page["Quotas"]:
            name = q["QuotaName"].lower()
            if "tokens per minute" in name and name.endswith(f" for {model.provider} {model.name}".lower()) \
                    and name.startswith({"global": "global", "cross-region": "cross-region",
                                         "on-demand": "on-demand"}[scope]):
                return q["Value"]
    raise LookupError(f"Service Quotas lists no tokens-per-minute quota for {model_id} here")


def fits(model_id: str, quota: float, max_tokens: int) -> dict:
    burndown = models.get(model_id).output_burndown
    settled = int(CALLS_PER_MINUTE * (PROMPT_TOKENS + ANSWER_TOKENS * burndown))
    reserved = CALLS_PER_MINUTE * (PROMPT_TOKENS + max_tokens)
    return {"maxTokens": max_tokens, "quota": quota, "settled per minute": settled,
            "reserved if all in flight": reserved, "fits": settled <= quota and reserved <= quota}


def run(model_id: str | None = None) -> dict:
    model_id = model_id or models.CLAUDE_MODEL
    quota = tpm_quota(model_id)
    largest = int(quota // CALLS_PER_MINUTE - PROMPT_TOKENS)  # reservation = quota exactly
    return {"model": model_id, "quota": quota, "largest maxTokens": largest,
            "rows": [fits(model_id, quota, m) for m in (4096, 400, largest, largest + 1)]}


def check(result: dict) -> None:
    rows = {r["maxTokens"]: r for r in result["rows"]}
    largest = result["largest maxTokens"]
    assert rows[largest]["fits"] and not rows[largest + 1]["fits"], "the largest maxTokens is off by one"
    assert rows[400]["fits"], "maxTokens=400 should fit"
    assert not rows[4096]["fits"] and rows[4096]["reserved if all in flight"] > result["quota"], \
        "maxTokens=4096 reserves more than the quota"
    # settled use does not depend on maxTokens: only the reservation does
    assert len({r["settled per minute"] for r in rows.values()}) == 1
    assert rows[4096]["settled per minute"] <= result["quota"]
