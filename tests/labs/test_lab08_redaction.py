"""08_llmops/redaction.py: records redacted in their bodies only, counts per type, the fallback detector."""

from __future__ import annotations

from tests.lab_modules import load

redaction = load("08_llmops", "redaction")

TEXT = "Reply to jane.doe@example.com or 555-201-3344; card 4111 1111 1111 1111, order 4111111111111112."


def record(text: str) -> dict:
    return {"requestId": "r-1", "modelId": "amazon.nova-micro-v1:0",
            "input": {"inputBodyJson": {"messages": [{"role": "user", "content": [{"text": text}]}]},
                      "inputTokenCount": 31},
            "output": {"outputBodyJson": {"output": {"message": {"content": [{"text": "Noted."}]}}},
                       "outputTokenCount": 2},
            "requestMetadata": {"owner": "ops@example.com"}}


def test_redact_record_replaces_bodies_and_metadata_and_keeps_the_rest():
    original = record(TEXT)
    red, counts = redaction.redact_record(original)
    text = red["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"]
    assert text == ("Reply to {EMAIL} or {PHONE}; card {CREDIT_DEBIT_CARD_NUMBER}, order "
                    "4111111111111112.")  # the order number fails the Luhn check: kept
    assert red["requestMetadata"] == {"owner": "{EMAIL}"}
    assert counts == {"EMAIL": 2, "PHONE": 1, "CREDIT_DEBIT_CARD_NUMBER": 1}
    assert red["input"]["inputTokenCount"] == 31 and red["requestId"] == "r-1"
    assert "jane.doe" in original["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"]


def test_types_filter_and_totals_over_records():
    reds, total = redaction.redact_records([record(TEXT), record("nothing here")], types=["EMAIL"])
    assert total == {"EMAIL": 3}
    assert "555-201-3344" in reds[0]["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"]


def test_fallback_detector_finds_the_same_three_kinds(monkeypatch):
    monkeypatch.setattr(redaction, "_detect", redaction._fallback_detect)
    red, counts = redaction.redact_text(TEXT)
    assert counts == {"EMAIL": 1, "PHONE": 1, "CREDIT_DEBIT_CARD_NUMBER": 1}
    assert "4111111111111112" in red
