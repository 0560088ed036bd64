"""The live checks, run against the offline engine: each failure is named with its fix."""

from __future__ import annotations

import boto3
import pytest

from local_bedrock.catalog import find
from utils import access, doctor


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-central-1"])
def test_every_role_passes_the_live_checks_offline(ws, region):
    rows = access.check_roles(region)
    assert [r["role"] for r in rows if r["call"] not in ("ok", "not probed")] == []
    assert all(r["lifecycle"] == "ACTIVE" for r in rows)
    assert all(ok for _, ok, _ in doctor.live_checks(region))


def test_an_end_of_life_id_is_named_with_its_replacement(ws):
    row = access.probe(find("anthropic.claude-3-haiku-20240307-v1:0"),
                       boto3.client("bedrock-runtime"))
    assert row["status"] == "end of life" and "utils.models.CLAUDE_MODEL" in row["fix"]


def test_a_bare_id_that_needs_a_profile_says_which(ws):
    runtime = boto3.client("bedrock-runtime", region_name="us-west-2")
    row = access.probe(find("amazon.nova-lite-v1:0"), runtime, "amazon.nova-lite-v1:0")
    assert row["status"] == "needs a profile" and "us.amazon.nova-lite-v1:0" in row["fix"]


def test_access_denied_points_at_marketplace_permissions_not_the_retired_page(ws):
    ws.simulate_access_denied("amazon.nova-micro-v1:0")
    row = access.probe(find("amazon.nova-micro-v1:0"), boto3.client("bedrock-runtime"))
    assert row["status"] == "access denied"
    assert "aws-marketplace:Subscribe" in row["fix"] and "retired" in row["fix"]


def test_a_legacy_inactivity_refusal_is_not_called_not_in_region():
    msg = ("Access denied. This Model is marked by provider as Legacy and you have not been "
           "actively using the model in the last 30 days. Please upgrade to an active model")
    model = find("amazon.nova-lite-v1:0")
    assert access.diagnose(model, "ResourceNotFoundException", msg, "us-east-1") == "legacy, no access"
