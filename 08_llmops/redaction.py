"""Redact sensitive data from invocation-log records before they are copied, exported or shared.

Detection reuses the workshop's offline PII detector from lab 07
(`local_bedrock.guardrails.pii`: regular expressions with checksums and context cues - emails,
phone numbers, Luhn-valid card numbers, SSNs, names after cues, addresses, AWS keys...). If that
module is missing, a small regex fallback here finds emails, phone numbers and Luhn-valid card
numbers only; `DETECTOR` says which one is in use. Matches are replaced by `{TYPE}`, the way
Bedrock Guardrails anonymizes.

This is redaction in code you control. The managed options are a CloudWatch Logs data
protection policy on the log group (masks on read, audits findings) and a guardrail's
sensitive-information filter on the prompts themselves (lab 07).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int
    text: str


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


_FALLBACK = (
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("CREDIT_DEBIT_CARD_NUMBER", re.compile(r"\b\d(?:[ -]?\d){12,18}\b")),
    ("PHONE", re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]\d{3}[ .-]\d{4}\b")),
)


def _fallback_detect(text: str) -> list[Finding]:
    found: list[Finding] = []
    for kind, rx in _FALLBACK:
        for m in rx.finditer(text):
            if kind == "CREDIT_DEBIT_CARD_NUMBER" and not _luhn(re.sub(r"\D", "", m.group())):
                continue
            if all(m.end() <= f.start or m.start() >= f.end for f in found):
                found.append(Finding(kind, m.start(), m.end(), m.group()))
    return sorted(found, key=lambda f: f.start)


def _detector() -> tuple[str, Callable[[str], list]]:
    try:
        from local_bedrock.guardrails.pii import detect
    except ImportError:
        return "utils.redaction fallback regexes (email, phone, card)", _fallback_detect
    return "local_bedrock.guardrails.pii (lab 07's offline PII detector)", detect


DETECTOR, _detect = _detector()


def find(text: str, types: Iterable[str] | None = None) -> list[Finding]:
    """Sensitive spans in `text` (optionally only some entity types)."""
    wanted = set(types) if types else None
    return [Finding(m.type, m.start, m.end, m.text) for m in _detect(text)
            if wanted is None or m.type in wanted]


def redact_text(text: str, types: Iterable[str] | None = None) -> tuple[str, Counter]:
    """`text` with each finding replaced by {TYPE}, and the count per type."""
    counts: Counter = Counter()
    out, pos = [], 0
    for f in find(text, types):
        out += [text[pos:f.start], "{" + f.type + "}"]
        pos = f.end
        counts[f.type] += 1
    out.append(text[pos:])
    return "".join(out), counts


def _walk(value: Any, types, counts: Counter) -> Any:
    if isinstance(value, str):
        redacted, found = redact_text(value, types)
        counts.update(found)
        return redacted
    if isinstance(value, dict):
        return {k: _walk(v, types, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, types, counts) for v in value]
    return value


REDACTED_PARTS = (("input", "inputBodyJson"), ("output", "outputBodyJson"))


def redact_record(record: dict, types: Iterable[str] | None = None) -> tuple[dict, Counter]:
    """A copy of an invocation-log record with the prompt and response bodies (and
    requestMetadata) redacted; ids, counts and timings are kept. Returns (copy, counts)."""
    types = list(types) if types else None
    out, counts = copy.deepcopy(record), Counter()
    for part, key in REDACTED_PARTS:
        if key in out.get(part, {}):
            out[part][key] = _walk(out[part][key], types, counts)
    if "requestMetadata" in out:
        out["requestMetadata"] = _walk(out["requestMetadata"], types, counts)
    return out, counts


def redact_records(records: Iterable[dict], types: Iterable[str] | None = None
                   ) -> tuple[list[dict], Counter]:
    """Redacted copies of many records, and the total count per entity type."""
    total: Counter = Counter()
    out = []
    for r in records:
        red, counts = redact_record(r, types)
        out.append(red)
        total.update(counts)
    return out, total
