"""The offline responder's prompt-pattern behaviours, through real boto3 Converse calls.

Each test checks one mechanism the prompt-engineering lab relies on: label lists, label
descriptions, few-shot examples (three ways of giving them), tagged input, temperature and
top-p sampling, step-by-step output, JSON Schema answers and prefilled assistant turns.
"""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
import pytest
from shapes import assert_conforms

from local_bedrock.text import responder
from local_bedrock.text.responder import MARKER

MODEL = "amazon.nova-lite-v1:0"
CATS = ["billing", "technical", "shipping", "account", "returns"]
DESCRIBED = (
    "Classify the support ticket into one of these categories:\n"
    "- billing: charges, invoices and receipts, payment methods, subscription fees\n"
    "- technical: the robot misbehaves: error codes, firmware, batteries, connectivity\n"
    "- shipping: order delivery, tracking, delays, damaged or missing parcels\n"
    "- account: signing in, passwords, two-factor codes, email changes, personal data\n"
    "- returns: sending a product back: return labels and RMA numbers, exchanges, warranty\n"
    "Reply with the category only.\n")
NAMES = f"Classify the support ticket into one of: {', '.join(CATS)}.\nReply with the category only.\n"
EXAMPLES = [
    ("I was charged twice for my order, refund the duplicate payment.", "billing"),
    ("Why is there a second subscription charge on my statement?", "billing"),
    ("The robot shows error E14 and the brush will not spin.", "technical"),
    ("After the update it no longer connects to the app.", "technical"),
    ("The tracking has not moved since Friday.", "shipping"),
    ("The box arrived crushed and the dock is cracked.", "shipping"),
    ("I forgot my password and the reset email never arrives.", "account"),
    ("How do I turn on two-factor authentication?", "account"),
    ("I want to send the window robot back, how do I start a return?", "returns"),
    ("The blade motor died after 14 months, is that covered by warranty?", "returns"),
]
HARD = "The reset code never reaches my phone."  # label names alone point elsewhere


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def ask(runtime, messages, **kw) -> dict:
    kw.setdefault("inferenceConfig", {"temperature": 0})
    if isinstance(messages, str):
        messages = user(messages)
    resp = runtime.converse(modelId=MODEL, messages=messages, **kw)
    assert_conforms(resp, "bedrock-runtime", "Converse")
    return resp


def text(resp: dict) -> str:
    return "".join(b.get("text", "") for b in resp["output"]["message"]["content"])


def few_shot(ticket: str) -> str:
    shots = "\n\n".join(f"Ticket: {x}\nCategory: {y}" for x, y in EXAMPLES)
    return f"{NAMES}\n{shots}\n\nTicket: {ticket}"


def test_bullet_list_with_descriptions_gives_the_labels():
    # the description of "returns" mentions "labels and RMA numbers, exchanges, warranty":
    # the earlier bulleted list must win over that phrase
    assert responder._labels(DESCRIBED) == CATS
    assert responder._labels("<categories>billing, technical, account</categories>") == \
        ["billing", "technical", "account"]


def test_label_descriptions_change_the_decision(runtime):
    ticket = "My protection plan renewed automatically and took $89 from my card."
    by_name = text(ask(runtime, f"{NAMES}Ticket: {ticket}")).strip()
    described = text(ask(runtime, f"{DESCRIBED}Ticket: {ticket}")).strip()
    assert described == "billing"
    assert by_name != described


def test_few_shot_examples_in_the_prompt_are_used(runtime):
    assert text(ask(runtime, f"{NAMES}Ticket: {HARD}")).strip() != "account"
    assert text(ask(runtime, few_shot(HARD))).strip() == "account"


def test_few_shot_examples_as_conversation_turns(runtime):
    messages = []
    for x, y in EXAMPLES:
        messages += user(f"{NAMES}Ticket: {x}") + [{"role": "assistant", "content": [{"text": y}]}]
    messages += user(f"{NAMES}Ticket: {HARD}")
    assert text(ask(runtime, messages)).strip() == "account"


def test_few_shot_examples_in_xml_tags(runtime):
    shots = "".join(f"<example><ticket>{x}</ticket><category>{y}</category></example>\n"
                    for x, y in EXAMPLES)
    prompt = (f"{NAMES}<examples>\n{shots}</examples>\n"
              f"<ticket>{HARD}</ticket>")
    assert text(ask(runtime, prompt)).strip() == "account"


def test_tagged_input_is_what_gets_classified():
    ticket = "My Wren shows error E14 and the brush will not spin."
    untagged = f"Here is a customer message:\n{ticket}\nWhich category fits? Options: billing, technical"
    tagged = f"<ticket>{ticket}</ticket>\nWhich category fits? Options: billing, technical"
    assert responder._target_text(untagged).startswith("Which category")
    assert responder._target_text(tagged) == ticket


def test_temperature_and_top_p_sample_among_close_labels(runtime):
    prompt = f"{DESCRIBED}Ticket: I was charged for a protection plan on a robot that has " \
             "been broken since March and never worked."

    def labels(cfg, n=30):
        return Counter(text(ask(runtime, prompt, inferenceConfig=cfg)).strip() for _ in range(n))

    greedy = labels({"temperature": 0})
    assert len(greedy) == 1
    hot = labels({"temperature": 1.0, "topP": 1.0})
    assert len(hot) > 1 and set(hot) <= set(CATS)
    nucleus = labels({"temperature": 1.0, "topP": 0.05})
    assert nucleus == greedy  # a tiny nucleus keeps only the most likely label


def test_step_by_step_shows_the_engines_scores_then_the_same_answer(runtime):
    ticket = "Ticket: The tracking says delivered but there is nothing at my door."
    plain = text(ask(runtime, f"{DESCRIBED}{ticket}")).strip()
    steps = text(ask(runtime, f"{DESCRIBED}{ticket}\nThink step by step, then give the answer."))
    assert steps.startswith(MARKER) and "not a model's thoughts" in steps
    assert steps.splitlines()[-1] == f"Answer: {plain}"
    tagged = text(ask(runtime, f"{DESCRIBED}{ticket}\nThink in <thinking> tags, then put the "
                               "category in <answer> tags."))
    assert tagged.startswith("<thinking>") and tagged.endswith(f"<answer>{plain}</answer>")


SCHEMA = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "enum": CATS},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "urgent": {"type": "boolean"},
        "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "priority": {"type": "integer", "minimum": 1, "maximum": 3},
    },
    "required": ["category", "confidence", "urgent", "keywords", "priority"],
    "additionalProperties": False,
}


def test_json_schema_in_the_prompt_gives_valid_json(runtime):
    prompt = (f"{DESCRIBED.replace('Reply with the category only.', '')}"
              f"Answer with JSON valid against this schema:\n{json.dumps(SCHEMA)}\n"
              "<ticket>I forgot my password and the reset email never arrives.</ticket>")
    data = json.loads(text(ask(runtime, prompt)))
    jsonschema.validate(data, SCHEMA)
    assert data["category"] == "account"


def test_structured_output_config_gives_valid_json(runtime):
    resp = ask(runtime, f"{DESCRIBED}Ticket: The box arrived crushed.",
               outputConfig={"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
                   "schema": json.dumps(SCHEMA), "name": "ticket"}}}})
    data = json.loads(text(resp))
    jsonschema.validate(data, SCHEMA)
    assert data["category"] == "shipping"


def test_prefilled_open_tag_is_closed_so_a_stop_sequence_ends_the_answer(runtime):
    messages = user(f"{DESCRIBED}Ticket: My Wren shows error E14.") + [
        {"role": "assistant", "content": [{"text": "<category>"}]}]
    free = ask(runtime, messages)
    assert text(free) == "technical</category>"
    stopped = ask(runtime, messages, inferenceConfig={"temperature": 0,
                                                       "stopSequences": ["</category>"]})
    assert text(stopped) == "technical" and stopped["stopReason"] == "stop_sequence"


@pytest.mark.parametrize("prefill, composed, expected", [
    ("{", '{"a": 1}', '"a": 1}'),
    ('{"category": "', '{"category": "billing"}', 'billing"}'),
    ("<answer>", "<thinking>x</thinking>\n<answer>billing</answer>", "billing</answer>"),
    ("<answer>", "billing", "billing</answer>"),
    ("Sure: ", "something else", "something else"),
])
def test_continue_prefill(prefill, composed, expected):
    assert responder._continue_prefill(prefill, composed) == expected


def test_the_last_schema_in_format_instructions_is_followed(runtime):
    # LangChain-style format instructions show an example schema first, the real one last;
    # the real one uses $defs/$ref and anyOf (what pydantic writes for enums and Optional)
    example = {"properties": {"foo": {"type": "array", "items": {"type": "string"}}}}
    real = {"$defs": {"Team": {"enum": CATS, "type": "string"}},
            "properties": {"team": {"$ref": "#/$defs/Team"},
                           "product": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                           "summary": {"type": "string", "maxLength": 60}},
            "required": ["team", "product", "summary"], "type": "object"}
    prompt = (f"{DESCRIBED}Return JSON. For the schema {json.dumps(example)} the object "
              f'{{"foo": ["a"]}} is valid.\nHere is the output schema:\n{json.dumps(real)}\n'
              "<ticket>The box arrived crushed and one corner of the dock is cracked.</ticket>")
    data = json.loads(text(ask(runtime, prompt)))
    jsonschema.validate(data, real)
    assert set(data) == {"team", "product", "summary"} and data["team"] == "shipping"


def test_a_line_wrapped_before_a_number_stays_one_sentence():
    text = "On one charge it can mow up to\n1,200 square metres of lawn.\n- Empty the bin."
    assert responder.sentences(text) == [
        "On one charge it can mow up to\n1,200 square metres of lawn.", "- Empty the bin."]
