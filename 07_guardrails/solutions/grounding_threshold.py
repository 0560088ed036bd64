"""Worked solution to 07.04's "Your turn": a contextual grounding threshold for the RAG chain's answers.

A question is answered from the knowledge base (retrieve, then Converse on the passages), and three
answers are checked as outputs with ``ApplyGuardrail`` against the same passages and question: the
chain's own answer, one with a made-up detail (a wrong battery level) and one made up entirely. A
guardrail with only the contextual grounding policy is measured at three GROUNDING thresholds. Run
it from the notebook (``from solutions.grounding_threshold import run, check``) or from the tests:
``check(run())``.
"""

from __future__ import annotations

import boto3
import guardrail_eval as G

import utils
from utils import rag

QUESTION = "How long does a Wren V3 firmware update take to install?"
MADE_UP = {"one wrong detail": "A firmware update takes about 8 minutes and needs at least 80% battery.",
           "made up": "A firmware update takes two hours and must be done over a USB cable."}
THRESHOLDS = (0.2, 0.6, 0.95)
RELEVANCE = 0.5


def grounding_guardrail(threshold: float, name: str = "grounding-study") -> dict:
    """A CreateGuardrail request with only contextual grounding (and relevance) checks."""
    return {"name": name, "blockedInputMessaging": "Sorry, I can't answer that.",
            "blockedOutputsMessaging": "Sorry, I can't answer that from our documents.",
            "contextualGroundingPolicyConfig": {"filtersConfig": [
                {"type": "GROUNDING", "threshold": threshold}, {"type": "RELEVANCE", "threshold": RELEVANCE}]}}


def run() -> list[dict]:
    """One row per (answer, threshold): the grounding score and whether the answer was blocked."""
    bedrock, runtime = boto3.client("bedrock"), boto3.client("bedrock-runtime")
    agent_runtime = boto3.client("bedrock-agent-runtime")
    kb_id = rag.knowledge_base_id(boto3.client("bedrock-agent"))
    hits = agent_runtime.retrieve(knowledgeBaseId=kb_id, retrievalQuery={"text": QUESTION},
                                  retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 3}})
    docs = "\n".join(f"<document>{h['content']['text']}</document>" for h in hits["retrievalResults"])
    resp = runtime.converse(modelId=utils.models.TEXT_MODEL, system=[{"text": rag.SYSTEM_PROMPT}],
                            messages=[{"role": "user", "content": [{"text": f"{docs}\n\n{QUESTION}"}]}],
                            inferenceConfig={"maxTokens": 200, "temperature": 0})
    answers = {"the chain's answer": utils.text_of(resp), **MADE_UP}
    gid = G.ensure_guardrail(bedrock, grounding_guardrail(THRESHOLDS[0]))["guardrailId"]
    rows = []
    try:
        for threshold in THRESHOLDS:
            bedrock.update_guardrail(guardrailIdentifier=gid, **grounding_guardrail(threshold))
            for kind, answer in answers.items():
                out = runtime.apply_guardrail(guardrailIdentifier=gid, guardrailVersion="DRAFT", source="OUTPUT", content=[
                    {"text": {"text": docs, "qualifiers": ["grounding_source"]}},
                    {"text": {"text": QUESTION, "qualifiers": ["query"]}},
                    {"text": {"text": answer}}])
                filters = out["assessments"][0]["contextualGroundingPolicy"]["filters"]
                score = next(f["score"] for f in filters if f["type"] == "GROUNDING")
                rows.append({"answer": kind, "GROUNDING threshold": threshold, "grounding score": round(score, 3),
                             "action": out["action"], "blocked": G.blocked(out)})
    finally:
        bedrock.delete_guardrail(guardrailIdentifier=gid)
    return rows


def check(rows: list[dict]) -> None:
    """At the recommended 0.6 the chain's answer passes and both made-up answers are blocked; a
    higher threshold never blocks fewer answers, and the strictest one (0.95) blocks even the
    chain's own answer."""
    at = {(r["answer"], r["GROUNDING threshold"]): r for r in rows}
    assert not at[("the chain's answer", 0.6)]["blocked"]
    assert all(at[(kind, 0.6)]["blocked"] for kind in MADE_UP)
    blocked = [sum(r["blocked"] for r in rows if r["GROUNDING threshold"] == t) for t in THRESHOLDS]
    assert blocked == sorted(blocked) and blocked[-1] > blocked[0], blocked
    for r in rows:  # a block is a score under the threshold (relevance stays above 0.5 here)
        assert r["blocked"] == (r["grounding score"] < r["GROUNDING threshold"]), r
