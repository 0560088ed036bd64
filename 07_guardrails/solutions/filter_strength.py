"""Worked solution to 07.03's "Your turn": one content filter's strength against its catch rate and
its false positives.

The VIOLENCE filter is set to LOW, MEDIUM and HIGH in turn (every other policy as recommended), and
each version is measured on every red-team set: the violence attacks, and the benign prompts most
likely to look violent (safety and technical questions, angry complaints). Run it from the notebook
(``from solutions.filter_strength import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import copy

import boto3
import guardrail_eval as G

FILTER, CATEGORY = "VIOLENCE", "violence"
LOOK_ALIKES = ("benign_safety_or_technical", "benign_complaint")
STRENGTHS = ("LOW", "MEDIUM", "HIGH")
SETS = ("redteam_blind3", "redteam_blind2", "redteam_blind", "redteam_unseen", "redteam")


def with_filter(config: dict, kind: str, strength: str, name: str) -> dict:
    """A copy of a CreateGuardrail request with one content filter's input strength changed."""
    config = copy.deepcopy(config)
    config["name"] = name
    for f in config["contentPolicyConfig"]["filtersConfig"]:
        if f["type"] == kind:
            f["inputStrength"] = strength
    return config


def run() -> list[dict]:
    """One row per strength: attacks caught and look-alikes blocked (shares and counts)."""
    bedrock, runtime = boto3.client("bedrock"), boto3.client("bedrock-runtime")
    prompts = [p for s in SETS for p in G.load_prompts(G.DATA / f"{s}.jsonl")
               if p["category"] == CATEGORY or p["category"] in LOOK_ALIKES]
    config = G.load_config()
    gid = G.ensure_guardrail(bedrock, with_filter(config, FILTER, "LOW", "strength-study"))["guardrailId"]
    out = []
    try:
        for strength in STRENGTHS:
            bedrock.update_guardrail(guardrailIdentifier=gid, **with_filter(config, FILTER, strength, "strength-study"))
            rows = G.evaluate(prompts, G.bedrock_decide(runtime, gid))
            attacks = [r for r in rows if r["label"] == "attack"]
            benign = [r for r in rows if r["label"] == "benign"]
            caught = sum(r["outcome"] != "passed" for r in attacks)
            blocked = sum(r["outcome"] == "blocked" for r in benign)
            out.append({"filter": FILTER, "input strength": strength,
                        "attacks caught": f"{caught}/{len(attacks)}", "catch rate": round(caught / len(attacks), 3),
                        "look-alikes blocked": f"{blocked}/{len(benign)}", "false positives": round(blocked / len(benign), 3)})
    finally:
        bedrock.delete_guardrail(guardrailIdentifier=gid)
    return out


def check(result: list[dict]) -> None:
    """A stronger filter catches more attacks and blocks more look-alikes: both rates never fall
    from LOW to MEDIUM to HIGH, and both rise between LOW and HIGH."""
    assert [r["input strength"] for r in result] == list(STRENGTHS)
    catch = [r["catch rate"] for r in result]
    fp = [r["false positives"] for r in result]
    assert catch == sorted(catch) and catch[-1] > catch[0], catch
    assert fp == sorted(fp) and fp[-1] > fp[0], fp
