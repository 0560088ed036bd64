"""Worked solution to 04.05's "Your turn": what a training job costs with more epochs or more data.

A customization job is billed per token processed: the training records' tokens times the number
of epochs, at the base model's training price (the workshop's registry, from the Amazon Bedrock
pricing page; nothing is billed here), plus storage of the custom model per month. The solution
counts the tokens of the lab's 144 training records with the workshop's tokenizer and prices the
job for 1 to 5 epochs (Nova Micro's range, notebook 02) and for 10 and 100 times the data. Run it
from the notebook (``from solutions.epoch_costs import run, check``) or the tests.
"""

from __future__ import annotations

import custom_models as customization
import router

EPOCHS = (1, 2, 3, 4, 5)
SCALES = (1, 10, 100)


def run() -> list[dict]:
    """One row per (data scale, epochs): tokens trained and the job's price in USD."""
    train, _, _ = router.splits()
    tokens = sum(customization.record_tokens(r) for r in router.conversation_records(train))
    storage = customization.price(router.BASE_MODEL).storage_per_month
    return [{"training data": f"{scale}x ({tokens * scale:,} tokens)", "epochs": epochs,
             "tokens trained": tokens * scale * epochs,
             "training $": round(customization.training_cost(router.BASE_MODEL, tokens * scale, epochs), 4),
             "storage $/month": storage}
            for scale in SCALES for epochs in EPOCHS]


def check(rows: list[dict]) -> None:
    one = {(r["training data"], r["epochs"]): r["training $"] for r in rows}
    for (data, epochs), cost in one.items():
        assert abs(cost - epochs * one[(data, 1)]) < 1e-3, "the price grows in proportion to the epochs"
    small, large = rows[0], rows[-1]
    assert large["tokens trained"] == 100 * 5 * small["tokens trained"]
    assert large["training $"] > 400 * small["training $"], "100x the data and 5 epochs: 500x the tokens"
    assert len({r["storage $/month"] for r in rows}) == 1, "storage does not depend on training"
