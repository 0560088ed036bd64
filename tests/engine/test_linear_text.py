"""The text paths' speed-ups keep their answers: literal gates never reject a text a rule matches,
sentence offsets agree with sentences(), and unpadded mean pooling equals WordLlama's own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from local_bedrock.guardrails import lexicon, pii
from local_bedrock.guardrails._text import sentence_spans, sentences
from local_bedrock.guardrails.literal_gate import compile_rule, may_match, required_literals
from local_bedrock.text import embeddings

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ([p for rules in lexicon.RULES.values() for p, _ in rules]
            + [p for ps in lexicon.MITIGATORS.values() for p in ps]
            + [p for d in lexicon.DOMAINS.values() for p, _ in d["terms"]])


def _prompts() -> list[str]:
    out = []
    for f in sorted((ROOT / "07_guardrails" / "data").glob("*.jsonl")):
        out += [json.loads(line)["prompt"] for line in f.read_text().splitlines() if line.strip()]
    return out


def test_gates_never_reject_a_match():
    """Over every lab prompt, a rule that matches is always let through by its gate, and the
    gates reject most rules on most prompts (else they buy nothing)."""
    texts = _prompts()
    assert len(texts) > 1000
    rejected = tried = 0
    for p in PATTERNS:
        rule = compile_rule(p)
        for t in texts:
            low = t.lower()
            tried += 1
            if not may_match(rule.gate, low):
                rejected += 1
                assert not re.search(p, t, re.IGNORECASE), (p, t)
    assert rejected / tried > 0.8


def test_pii_gates_never_skip_a_detector_that_finds_something():
    for t in _prompts():
        for etype, rx, _, _, _ in pii._DETECTORS:
            if rx.search(t):
                assert may_match(required_literals(rx.pattern, rx.flags), t.lower()), (etype, t)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["kill", "the", "Bomb", "how to", "ignore", "your", "rules", "!", ".",
                                 "\n", "SYSTEM:", "instructions", "murder", "x"]), max_size=12))
def test_gates_are_sound_on_generated_texts(words):
    text = " ".join(words)
    for p in PATTERNS:
        if re.search(p, text, re.IGNORECASE):
            assert may_match(compile_rule(p).gate, text.lower()), (p, text)


def test_gate_of_a_simple_alternation():
    assert required_literals(r"\b(?:kill|murder)\s+him\b") == (frozenset({"kill", "murder"}), frozenset({"him"}))
    assert required_literals(r"(?i)\bSSN\b") == (frozenset({"ssn"}),)
    assert not may_match(required_literals(r"\b(?:kill|murder)\s+him\b"), "kill the lights")
    assert required_literals(r"\w+") is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \n\t.!?;ab,\u00a0", max_size=40))
def test_sentence_spans_match_sentences(text):
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences(text)


def test_unpadded_mean_pool_equals_wordllama():
    texts = ["hello world", "", "A much longer sentence about robots and floors. " * 40, "ok"]
    ours = embeddings._mean_pool(texts)
    theirs = np.asarray(embeddings._model().embed(texts, norm=False), dtype=np.float32)
    assert np.allclose(ours, theirs, atol=1e-5)
    assert not ours[1].any()


def test_first_character_lookahead_finds_the_same_matches():
    """compile_rule's "(?=[...])" prefix only speeds the scan: same first match, same spans."""
    texts = [t.lower() for t in _prompts()[::3]]
    accelerated = 0
    for p in PATTERNS:
        rule = compile_rule(p)
        if not rule.lowered or rule.rx.pattern == p:
            continue
        accelerated += 1
        plain = re.compile(p)
        for t in texts:
            a, b = plain.search(t), rule.rx.search(t)
            assert (a and a.span()) == (b and b.span()), (p, t)
    assert accelerated > len(PATTERNS) // 2
