"""JSON asked, JSON given: a prompt that names the keys it wants gets exactly those keys,
filled from the prompt's text, through real boto3 Converse calls.

Phrasings: "with keys a, b and c", "with fields a, b, c", a JSON template in the prompt, a
JSON Schema in the prompt, Converse structured output (outputConfig.textFormat), a JSON array
of objects, a bulleted list of fields, and the prefill "{" (and "["). A key the text does not
give is null; a prompt that names no keys keeps {"answer": "[local engine] ..."}.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from shapes import assert_conforms

from local_bedrock.text import json_answer
from local_bedrock.text.responder import MARKER

MODEL = "amazon.nova-lite-v1:0"


def ask(runtime, prompt: str, prefill: str | None = None, **kw) -> str:
    messages = [{"role": "user", "content": [{"text": prompt}]}]
    if prefill is not None:
        messages.append({"role": "assistant", "content": [{"text": prefill}]})
    resp = runtime.converse(modelId=MODEL, messages=messages,
                            inferenceConfig={"temperature": 0, "maxTokens": 800}, **kw)
    assert_conforms(resp, "bedrock-runtime", "Converse")
    text = "".join(b.get("text", "") for b in resp["output"]["message"]["content"])
    return (prefill or "") + text


def data(runtime, prompt: str, **kw):
    return json.loads(ask(runtime, prompt, **kw))


PERSON = "Alice Moreau is 31 and works in Lyon."
ORDER = ("Order ORD-20410 was placed by Bob Lee on March 3, 2024: 2 lamps for $45.20. "
         "Contact: bob.lee@example.com.")
TICKET = ("Ticket #4521 from Dan Wu (dan.wu@example.org), opened 2024-05-02: my Wren robot "
          "shows error E14 after the update and support has not replied.")
INVOICE = ("Invoice INV-2291 from Acme Corp: amount due €1,250.00 by 15 April 2024, "
           "for 12 hours of consulting.")
PROFILE = ("Dana Kim is a 38-year-old engineer at Initech. Email dana.kim@initech.com, phone "
           "+1 415 555 0134. Skills: Python, SQL and Go.")

CASES = [  # (prompt, the exact object expected)
    (f"Extract the person as a JSON object with keys name and age. Reply with JSON only. "
     f"Text: {PERSON}", {"name": "Alice Moreau", "age": 31}),
    (f"Extract the person as a JSON object with keys name, age and city. Text: {PERSON}",
     {"name": "Alice Moreau", "age": 31, "city": "Lyon"}),
    (f"Return a JSON object with fields order_id, customer, quantity, total, currency, "
     f"order_date, email.\nOrder: {ORDER}",
     {"order_id": "ORD-20410", "customer": "Bob Lee", "quantity": 2, "total": 45.2,
      "currency": "USD", "order_date": "2024-03-03", "email": "bob.lee@example.com"}),
    (f'Return JSON: {{"ticket_id": ..., "customer": ..., "email": ..., "opened": "YYYY-MM-DD", '
     f'"product": ...}}\nText: {TICKET}',
     {"ticket_id": "4521", "customer": "Dan Wu", "email": "dan.wu@example.org",
      "opened": "2024-05-02", "product": "Wren"}),
    (f"Extract the invoice as JSON with keys invoice_number, vendor, amount, currency, "
     f"due_date and hours. {INVOICE}",
     {"invoice_number": "INV-2291", "vendor": "Acme Corp", "amount": 1250.0, "currency": "EUR",
      "due_date": "2024-04-15", "hours": 12}),
    (f"Reply with a JSON object containing name, age, email, phone, company and skills. "
     f"Profile: {PROFILE}",
     {"name": "Dana Kim", "age": 38, "email": "dana.kim@initech.com", "phone": "+1 415 555 0134",
      "company": "Initech", "skills": ["Python", "SQL", "Go"]}),
    ("Return JSON with keys name (string), age (integer), signup_date (date). "
     "Text: Eve Martin, aged 52, signed up on 20 November 2023.",
     {"name": "Eve Martin", "age": 52, "signup_date": "2023-11-20"}),
    ("Extract the order as a JSON object with the keys `order_id`, `items`, `total` and "
     "`is_paid`.\nOrder ORD-77812: 2 lamps, a kettle and 3 mugs. Total $88.50, not paid yet.",
     {"order_id": "ORD-77812", "items": ["2 lamps", "kettle", "3 mugs"], "total": 88.5,
      "is_paid": False}),
    ("Return JSON with these fields:\n- name: the customer's full name\n- age (integer)\n"
     "- email: string\n\nText: Hello, this is Maria Rossi, 44 years old, maria@rossi.it.",
     {"name": "Maria Rossi", "age": 44, "email": "maria@rossi.it"}),
    ("Extract name and age as JSON. Text: Chen Li is 29.", {"name": "Chen Li", "age": 29}),
]


@pytest.mark.parametrize("prompt, expected", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_named_keys_are_filled_from_the_text(runtime, prompt, expected):
    got = data(runtime, prompt)
    assert list(got) == list(expected)  # exactly the keys asked for, in the order asked
    assert got == expected


def test_the_issue_example_no_longer_answers_with_an_answer_key(runtime):
    got = data(runtime, "Extract the person as a JSON object with keys name and age. Reply "
                        "with JSON only. Text: Alice Moreau is 31 and lives in Paris.")
    assert got == {"name": "Alice Moreau", "age": 31}
    assert isinstance(got["age"], int)


def test_a_key_the_text_does_not_give_is_null(runtime):
    got = data(runtime, "Return a JSON object with keys name, age, email and city. Text: "
                        "Bob Stone is 45.")
    assert got == {"name": "Bob Stone", "age": 45, "email": None, "city": None}


@pytest.mark.parametrize("prompt", [
    "Give a JSON array of objects with keys name and age. Text: Alice Moreau is 31. "
    "Bob Stone is 45. Chen Li is 29.",
    'Return JSON: [{"name": "string", "age": 0}]\nText: Alice Moreau is 31. Bob Stone is 45. '
    "Chen Li is 29.",
])
def test_a_json_array_of_objects_has_one_object_per_record(runtime, prompt):
    assert data(runtime, prompt) == [{"name": "Alice Moreau", "age": 31},
                                     {"name": "Bob Stone", "age": 45},
                                     {"name": "Chen Li", "age": 29}]


def test_records_gather_their_facts_across_pieces(runtime):
    got = data(runtime, "List the people as a JSON array of objects with fields name, job, "
                        "company and city.\nText: Dana Kim works as a data engineer at Initech "
                        "in Leeds; Raj Patel works as a nurse at St Mary Hospital in York.")
    assert got == [
        {"name": "Dana Kim", "job": "data engineer", "company": "Initech", "city": "Leeds"},
        {"name": "Raj Patel", "job": "nurse", "company": "St Mary Hospital", "city": "York"}]


def test_a_list_of_emails_from_a_template(runtime):
    got = data(runtime, 'Return JSON: [{"name": "...", "email": "..."}]\n'
                        "Attendees: Alice Moreau <alice@moreau.fr>, Bob Stone <bob@stone.io>.")
    assert got == [{"name": "Alice Moreau", "email": "alice@moreau.fr"},
                   {"name": "Bob Stone", "email": "bob@stone.io"}]


def test_prefill_brace_continues_the_object(runtime):
    prompt = "Extract a JSON object with keys name and age. Text: Alice Moreau is 31."
    raw = ask(runtime, prompt, prefill="{")
    assert raw.startswith("{") and not raw.startswith("{{")
    assert json.loads(raw) == {"name": "Alice Moreau", "age": 31}


def test_prefill_bracket_gives_a_list(runtime):
    raw = ask(runtime, "Extract the people as JSON with keys name and age. Text: Alice Moreau "
                       "is 31. Bob Stone is 45.", prefill="[")
    assert json.loads(raw) == [{"name": "Alice Moreau", "age": 31},
                               {"name": "Bob Stone", "age": 45}]


SCHEMA = {"type": "object",
          "properties": {"customer": {"type": "string"},
                         "email": {"type": "string", "format": "email"},
                         "order_id": {"type": "string", "pattern": r"^ORD-\d{5}$"},
                         "quantity": {"type": "integer", "minimum": 1},
                         "total": {"type": "number"},
                         "order_date": {"type": "string", "format": "date"},
                         "coupon": {"type": ["string", "null"]}},
          "required": ["customer", "email", "order_id", "quantity", "total", "order_date",
                       "coupon"],
          "additionalProperties": False}
SCHEMA_WANT = {"customer": "Bob Lee", "email": "bob.lee@example.com", "order_id": "ORD-20410",
               "quantity": 2, "total": 45.2, "order_date": "2024-03-03", "coupon": None}


def test_a_json_schema_in_the_prompt_is_filled_from_the_text(runtime):
    got = data(runtime, f"Return only JSON valid against this JSON Schema:\n"
                        f"{json.dumps(SCHEMA)}\n<order>{ORDER}</order>")
    jsonschema.validate(got, SCHEMA)
    assert got == SCHEMA_WANT


def test_structured_output_is_filled_from_the_text(runtime):
    got = data(runtime, f"Extract the order. {ORDER}", outputConfig={"textFormat": {
        "type": "json_schema", "structure": {"jsonSchema": {"schema": json.dumps(SCHEMA),
                                                            "name": "order"}}}})
    jsonschema.validate(got, SCHEMA)
    assert got == SCHEMA_WANT


def test_a_required_non_null_key_the_text_lacks_stays_valid_and_marked(runtime):
    schema = {"type": "object", "properties": {"name": {"type": "string"},
                                               "email": {"type": "string"},
                                               "age": {"type": "integer"},
                                               "city": {"type": "string"}},
              "required": ["name", "email", "age"]}
    got = data(runtime, "Extract the person. Text: Alice Moreau is 31.", outputConfig={
        "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": json.dumps(schema)}}}})
    jsonschema.validate(got, schema)
    assert got["name"] == "Alice Moreau" and got["age"] == 31
    assert got["email"].startswith(MARKER)  # required, not nullable: the marked placeholder
    assert "city" not in got  # optional and not in the text: left out


def test_a_root_array_schema_gives_records(runtime):
    schema = {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}}
    got = data(runtime, "Extract everyone. Text: Alice Moreau is 31. Bob Stone is 45.",
               outputConfig={"textFormat": {"type": "json_schema", "structure": {
                   "jsonSchema": {"schema": json.dumps(schema)}}}})
    jsonschema.validate(got, schema)
    assert got == [{"name": "Alice Moreau", "age": 31}, {"name": "Bob Stone", "age": 45}]


def test_computed_keys_keep_the_engines_own_values(runtime):
    got = data(runtime, "Classify the support ticket into one of: billing, technical, "
                        "shipping.\nReturn JSON with keys ticket_id, category, sentiment, "
                        "summary.\nTicket: Ticket #812: I was charged twice for my order, "
                        "this is terrible.")
    assert list(got) == ["ticket_id", "category", "sentiment", "summary"]
    assert got["ticket_id"] == "812"
    assert got["category"] in ("billing", "technical", "shipping")
    assert got["sentiment"] == "negative"
    assert got["summary"].startswith(MARKER)


def test_an_enum_in_a_template_is_an_enum(runtime):
    got = data(runtime, 'Reply with JSON like {"customer": "string", "sentiment": '
                        '"positive|negative|neutral"}.\nText: From Dan Wu: the robot is great, '
                        "thanks!")
    assert got == {"customer": "Dan Wu", "sentiment": "positive"}


def test_without_named_keys_the_answer_key_stays(runtime):
    got = data(runtime, "What is the capital of France? Answer in JSON.")
    assert list(got) == ["answer"] and got["answer"].startswith(MARKER)


@pytest.mark.parametrize("key, kind", [
    ("age", "age"), ("order_date", "date"), ("customer_email", "email"), ("is_paid", "bool"),
    ("total_amount", "money"), ("number_of_items", "count"), ("order_id", "id"),
    ("company_name", "org"), ("customer_name", "person"), ("city", "place"),
    ("unit_price", "money"), ("phone_number", "phone"), ("summary", "text"),
])
def test_types_are_inferred_from_key_names(key, kind):
    assert json_answer.kind_of(key) == kind


@pytest.mark.parametrize("text, keys", [
    ("as a JSON object with keys name, age and email.", ["name", "age", "email"]),
    ("with fields sku, qty, price", ["sku", "qty", "price"]),
    ("JSON with the keys `order_id` and `total`", ["order_id", "total"]),
    ("with keys name (string) and age (integer).", ["name", "age"]),
    ("Return a JSON object with keys name and age from the text.", ["name", "age"]),
])
def test_named_keys_phrasings(text, keys):
    assert [k for k, _ in json_answer.named_keys(text)] == keys


def test_plural_keys_are_lists():
    schema = json_answer._infer("skills", None)
    assert "array" in schema["type"] and json_answer._infer("age", None)["type"][0] == "integer"
    assert json_answer._infer("email", None)["format"] == "email"
    assert "array" not in json_answer._infer("status", None)["type"]


def test_answers_validate_against_constraints_the_text_cannot_meet(runtime):
    schema = {"type": "object", "properties": {
        "order_id": {"type": "string", "pattern": r"^ORD-\d{5}$"},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]},
                 "minItems": 1},
        "priority": {"type": "integer", "minimum": 10},
        "code": {"type": "string", "minLength": 3, "maxLength": 5}},
        "required": ["order_id", "email", "tags", "priority", "code"]}
    got = data(runtime, "Extract. Text: nothing useful here.", outputConfig={"textFormat": {
        "type": "json_schema", "structure": {"jsonSchema": {"schema": json.dumps(schema)}}}})
    jsonschema.validate(got, schema, format_checker=jsonschema.FormatChecker())
    assert got["order_id"] == "ORD-00000" and got["email"].endswith(".invalid")
