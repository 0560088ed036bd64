"""Worked solution to 04.04's "Your turn": a better prompt for the base model, against the custom one.

The notebook's strongest cheap alternative to fine-tuning is the base model with a system prompt
that describes every queue. The solution writes its own descriptions, aimed at the custom model's
mistakes (safety incidents that name a product, delivery damage, marketing e-mails), and scores
three contenders on the 40 held-out tickets with the notebook's metric (quasi-exact match of the
queue name, ``utils.evaluation``): the base model with the queue names only, the base model with
these descriptions, and the fine-tuned model (found or built by ``router.ensure_router()``). It
also reports the input tokens Bedrock counted per call. Run it from the notebook
(``from solutions.better_prompt import run, check``) or the tests.
"""

from __future__ import annotations

import boto3
import router

from utils import evaluation

MY_PROMPT = router.SYSTEM.split(" Answer")[0] + " Answer with one of these categories:\n" + "\n".join([
    "- product-safety: injury, cut, burn, fire, smoke, sparks, heat, a swollen battery, a robot that starts "
    "by itself, will not stop or pushes things over: safety first, whatever the product",
    "- billing: charged, charge, invoice, payment, refund of a charge, Care+ fee, promo code, price",
    "- shipping: delivery, courier, tracking, parcel, damaged or missing box, wrong item, address",
    "- returns: return, label, RMA, exchange, warranty claim, repair",
    "- account: app, sign in, password, two-factor code, household member, marketing emails, personal data",
    "- floor-robots: Wren V3 vacuum, Heron M2 mop, dock, brush, error codes",
    "- outdoor: Kite L1 lawn mower, blades, boundary, RTK station",
    "- windows-hub: Sparrow S1 window robot, Kestrel Hub 2"])


def run() -> list[dict]:
    """One row per contender: correct answers out of 40, accuracy, input tokens per call."""
    runtime = boto3.client("bedrock-runtime")
    served = router.ensure_router(quiet=True)
    _, _, test = router.splits()
    contenders = {"base, queue names": (router.BASE_MODEL, router.SYSTEM),
                  "base, my descriptions": (router.BASE_MODEL, MY_PROMPT),
                  "custom (fine-tuned)": (served["provisioned_arn"], router.SYSTEM)}
    rows = []
    for name, (model, system) in contenders.items():
        right, tokens = 0, 0
        for ticket in test:
            response = router.ask(runtime, model, ticket, system=system)
            answer = "".join(b.get("text", "") for b in response["output"]["message"]["content"])
            right += evaluation.quasi_exact_match(answer, ticket["queue"])
            tokens += response["usage"]["inputTokens"]
        rows.append({"contender": name, "correct": int(right), "of": len(test),
                     "accuracy": round(right / len(test), 3), "input tokens/call": round(tokens / len(test))})
    return rows


def check(rows: list[dict]) -> None:
    names, mine, custom = rows
    assert mine["correct"] > names["correct"], "the descriptions beat the queue names alone"
    assert mine["input tokens/call"] > 2 * custom["input tokens/call"], "and cost more tokens on every call"
    assert names["input tokens/call"] == custom["input tokens/call"], "the same prompt for base and custom"
