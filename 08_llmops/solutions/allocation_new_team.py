"""Worked solution to 08.07's "Your turn": a new team gets its own cost line.

The returns team joins: an application inference profile of its own on the cheapest model, tagged
``team=returns`` and ``cost-center=cc-3003`` at creation, and three calls through it. Grouping the
invocation records by the ``team`` tag (``cost.application_profiles`` + ``cost.by_tag``) gives the
team a line whose calls and USD are exactly those of its calls, priced as the model the profile
copies. The profile is deleted at the end (the snapshot beside the log keeps its tags).
Run it from the notebook (``from solutions.allocation_new_team import run, check``) or the tests.
"""

from __future__ import annotations

import boto3

from utils import cost, models
from utils.setup import current

TEAM, COST_CENTER, CALLS = "returns", "cc-3003", 3


def run() -> dict:
    bedrock, runtime = boto3.client("bedrock"), boto3.client("bedrock-runtime")
    account = boto3.client("sts").get_caller_identity()["Account"]
    model_id = models.CHEAP_MODEL
    arn = bedrock.create_inference_profile(
        inferenceProfileName=f"workshop-{TEAM}-worked", description=f"{TEAM.capitalize()} team in workshop 08.07",
        modelSource={"copyFrom": cost.copy_from(model_id, bedrock.meta.region_name, account)},
        tags=[{"key": "team", "value": TEAM}, {"key": "cost-center", "value": COST_CENTER}])["inferenceProfileArn"]
    try:
        usage = []
        for i in range(CALLS):
            reply = runtime.converse(modelId=arn, inferenceConfig={"maxTokens": 120},
                                     messages=[{"role": "user", "content": [
                                         {"text": f"Return request {i}: my Wren vacuum arrived with a cracked bin."}]}])
            usage.append(reply["usage"])
        tags = bedrock.list_tags_for_resource(resourceARN=arn)["tags"]
        cost.application_profiles(bedrock)  # learn the new profile's model and tags
        mine = [r for r in current().logger.records if r.get("modelId") == arn]
        lines = {row["team"]: row for row in cost.summary(mine, cost.by_tag("team"))}
        centers = {row["cost-center"]: row for row in cost.summary(mine, cost.by_tag("cost-center"))}
    finally:
        bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    expected = sum(models.cost_usd(model_id, u["inputTokens"], u["outputTokens"]) for u in usage)
    return {"profile": arn, "model": model_id, "tags": {t["key"]: t["value"] for t in tags},
            "team line": lines.get(TEAM), "cost-center line": centers.get(COST_CENTER),
            "USD from usage x price": round(expected, 6), "lines": list(lines)}


def check(result: dict) -> None:
    assert result["tags"] == {"team": TEAM, "cost-center": COST_CENTER}, result["tags"]
    line = result["team line"]
    assert line is not None, f"no '{TEAM}' line: the records grouped as {result['lines']}"
    assert result["lines"] == [TEAM], "every call through the profile belongs to the team"
    assert line["calls"] == CALLS and line["failed"] == 0
    assert abs(line["USD"] - result["USD from usage x price"]) <= 1e-6, \
        "the team's USD should be its tokens at the copied model's price"
    assert result["cost-center line"]["USD"] == line["USD"]
