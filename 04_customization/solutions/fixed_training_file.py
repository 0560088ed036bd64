"""Worked solution to 04.01's "Your turn": fix a broken training file until it validates.

The notebook's file has eight records for Amazon Nova Micro (``bedrock-conversation-2024``), six of
them broken in a different way each. ``FIXED`` is the same file repaired line by line:

1. fine as it is;
2. Llama's ``prompt``/``completion`` record -> rewritten as a conversation;
3. an empty assistant turn -> the ticket's queue (``billing``);
4. the reserved word ``User:`` in the text -> removed;
5. the assistant speaks first -> the turns swapped (user, then assistant);
6. a trailing comma (not JSON) -> removed;
7. ``content`` as a plain string -> a list of ``{"text": ...}`` blocks;
8. fine as it is.

``run()`` validates both files with ``customization.validate_jsonl`` and returns the two reports;
run it from the notebook (``from solutions.fixed_training_file import run, check``) or the tests.
"""

from __future__ import annotations

import json

import custom_models as customization
import router

SCHEMA = "bedrock-conversation-2024"
SYSTEM = [{"text": router.SYSTEM}]


def turn(role: str, text: str) -> dict:
    return {"role": role, "content": [{"text": text}]}


def record(ticket: str, queue: str) -> str:
    return json.dumps({"schemaVersion": SCHEMA, "system": SYSTEM,
                       "messages": [turn("user", ticket), turn("assistant", queue)]})


BROKEN = [
    record("Ticket: My Kite L1 stops after 20 minutes.", "outdoor"),
    json.dumps({"prompt": "Ticket: Where is my parcel?", "completion": "shipping"}),
    record("Ticket: I was charged twice.", ""),
    record("User: my password fails", "account"),
    json.dumps({"schemaVersion": SCHEMA, "system": SYSTEM, "messages": [
        turn("assistant", "floor-robots"), turn("user", "Ticket: The Wren V3 shows error E14.")]}),
    '{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": '
    '"Ticket: The Sparrow falls off the window."}]}, {"role": "assistant", "content": [{"text": "windows-hub"}]},]}',
    json.dumps({"schemaVersion": SCHEMA, "system": SYSTEM, "messages": [
        {"role": "user", "content": "Ticket: My Heron M2 leaves streaks."}, turn("assistant", "floor-robots")]}),
    record("Ticket: The battery of my Wren is swollen.", "product-safety"),
]

FIXED = [
    BROKEN[0],
    record("Ticket: Where is my parcel?", "shipping"),
    record("Ticket: I was charged twice.", "billing"),
    record("Ticket: my password fails", "account"),
    record("Ticket: The Wren V3 shows error E14.", "floor-robots"),
    json.dumps({"schemaVersion": SCHEMA, "messages": [turn("user", "Ticket: The Sparrow falls off the window."),
                                                      turn("assistant", "windows-hub")]}),
    record("Ticket: My Heron M2 leaves streaks.", "floor-robots"),
    BROKEN[7],
]


def run() -> dict:
    """The validator's reports on the broken file and on the fixed one."""
    return {"broken": customization.validate_jsonl("\n".join(BROKEN), router.BASE_MODEL),
            "fixed": customization.validate_jsonl("\n".join(FIXED), router.BASE_MODEL)}


def check(result: dict) -> None:
    broken, fixed = result["broken"], result["fixed"]
    assert {"json", "keys", "empty", "reserved", "roles", "types"} <= set(broken.by_kind()), broken.by_kind()
    assert fixed.ok, fixed.table()
    assert fixed.records == len(BROKEN) == 8, "every record kept: 8 is Nova's minimum"
