"""Worked solution to 00.01's "Your turn": the default text model called from three regions.

In each region it calls the model by its bare id and by the id ``utils.models.invoke_id`` gives
for that region (the bare id where the model runs in-region, a geography profile such as ``us.``
or ``eu.`` where it does not), and reads back the line each call appended to the invocation log.
The lesson: which id works depends on the region, and a failed call is logged too, with its
error code. Run it from the notebook (``from solutions.other_region import run, check``) or from
the tests.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

import utils

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def run(regions: tuple[str, ...] = REGIONS) -> list[dict]:
    """One row per call: region, id called, the answer's outcome and what the log recorded."""
    text = utils.models.get(utils.models.TEXT_MODEL)
    log = utils.current().logger
    rows = []
    for region in regions:
        runtime = boto3.client("bedrock-runtime", region_name=region)
        for model_id in dict.fromkeys((text.model_id, utils.models.invoke_id(text, region))):
            try:
                runtime.converse(modelId=model_id, inferenceConfig={"maxTokens": 20},
                                 messages=[{"role": "user", "content": [{"text": "Hi"}]}])
                outcome = "ok"
            except ClientError as err:
                outcome = err.response["Error"]["Code"]
            record = log.records[-1]
            rows.append({"region": region, "modelId": model_id, "outcome": outcome,
                         "logged modelId": record["modelId"], "logged region": record["region"],
                         "logged error": (record["error"] or {}).get("code"),
                         "profile": model_id != text.model_id})
    return rows


def check(rows: list[dict]) -> None:
    """The id invoke_id gives works everywhere; the bare id works only where the model is
    in-region; and every call, failed or not, left its own line in the invocation log."""
    text = utils.models.get(utils.models.TEXT_MODEL)
    assert {r["region"] for r in rows} == set(REGIONS)
    for r in rows:
        assert r["logged modelId"] == r["modelId"] and r["logged region"] == r["region"], r
        assert r["logged error"] == (None if r["outcome"] == "ok" else r["outcome"]), r
        if r["modelId"] == utils.models.invoke_id(text, r["region"]):
            assert r["outcome"] == "ok", r
        else:  # a bare id where the model needs a profile
            assert r["outcome"] == "ValidationException", r
    assert any(r["outcome"] == "ValidationException" for r in rows), "no region needed a profile"
    assert any(not r["profile"] and r["outcome"] == "ok" for r in rows), "no region served it in-region"
