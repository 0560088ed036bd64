"""Worked solution to 07.02's "Your turn": a rail against questions about competitors.

Two rails added to a copy of ``rails/``: an input regex with competitor brand names (deterministic,
no model call) and a Colang user intent "ask about competitors" with five examples and a refusal
flow (the embeddings-only topical rail). Every message goes through the full NeMo pipeline, and the
topical rail's nearest intent is shown before and after the new intent. Run it from the notebook
(``from solutions.competitor_rail import run, check``) or from the tests: ``check(run())``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import boto3
import guardrail_eval as G
import yaml

import utils

PATTERN = r"(?i)\b(roomba|irobot|roborock|dyson|ecovacs|husqvarna)\b"
COLANG = """
define user ask about competitors
  "Are other brands of robot vacuum cheaper than Kestrel?"
  "Which other company makes a better robot mower?"
  "Should I buy a robot from another brand instead?"
  "Do other shops sell the same robots for less?"
  "Is a competitor's window robot better than the Sparrow S1?"

define flow refuse competitors
  user ask about competitors
  bot refuse off topic
"""
MESSAGES = [  # (kind, message)
    ("named", "Is a Roborock mop better than the Heron M2?"),
    ("named", "Would a Husqvarna mower cut my lawn better than the Kite L1?"),
    ("named", "Should I return my Wren V3 and get a Roomba?"),
    ("unnamed", "Would a robot from another brand clean better than the Wren V3?"),
    ("unnamed", "Are there cheaper robot mowers than yours from other companies?"),
    ("unnamed", "Can I compare your prices with other shops?"),
    ("look-alike", "Is the Wren V3 better than the older Wren V2?"),
    ("look-alike", "How does the Heron M2 compare to the Wren V3 on carpets?"),
    ("look-alike", "Is the Kite L1 cheaper than the Kite L2?"),
]
INTENT = "ask about competitors"


def with_competitor_rails(src: str | Path = G.RAILS) -> Path:
    """A copy of the rails folder with the competitor regex and intent added."""
    folder = Path(tempfile.mkdtemp(prefix="rails-")) / "rails"
    shutil.copytree(src, folder)
    with open(folder / "rails.co", "a") as f:
        f.write(COLANG)
    cfg = yaml.safe_load((folder / "config.yml").read_text())
    cfg["rails"]["config"]["regex_detection"]["input"]["patterns"].append(PATTERN)
    (folder / "config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return folder


def run() -> dict:
    """Each message through the extended rails: the rail that stopped it, model calls, and the
    topical rail's nearest intent before and after the new intent."""
    from langchain_aws import ChatBedrockConverse
    from nemoguardrails import RailsConfig

    folder = with_competitor_rails()
    before, after = RailsConfig.from_path(str(G.RAILS)), RailsConfig.from_path(str(folder))
    threshold = after.rails.dialog.user_messages.embeddings_only_similarity_threshold
    llm = ChatBedrockConverse(client=boto3.client("bedrock-runtime"), model=utils.models.TEXT_MODEL,
                              temperature=0, max_tokens=300)
    rails = G.nemo_rails(llm, folder)
    rows = []
    for kind, text in MESSAGES:
        v = G.nemo_verdict(rails, text)
        old, new = G.intent_scores(before, text, k=1)[0], G.intent_scores(after, text, k=1)[0]
        rows.append({"kind": kind, "message": text, "stopped by": v["rail"] or "-", "model calls": v["llm_calls"],
                     "nearest intent before": old["intent"], "nearest intent now": new["intent"],
                     "score": new["score"]})
    shutil.rmtree(folder.parent)
    return {"rows": rows, "threshold": threshold}


def check(result: dict) -> None:
    """Named competitors are stopped by the regex rail for free; look-alikes never are; the new
    intent becomes the topical rail's nearest match for unnamed competitor questions and for no
    look-alike."""
    rows = result["rows"]
    for r in rows:
        if r["kind"] == "named":
            assert r["stopped by"] == "input:regex check input" and r["model calls"] == 0, r
        else:
            assert r["stopped by"] != "input:regex check input", r
    unnamed = [r for r in rows if r["kind"] == "unnamed"]
    assert all(r["nearest intent now"] == INTENT and r["nearest intent before"] != INTENT for r in unnamed), unnamed
    assert not any(r["nearest intent now"] == INTENT and r["score"] >= result["threshold"]
                   for r in rows if r["kind"] == "look-alike")
