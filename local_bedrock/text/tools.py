"""Tool use offline: which tool fits a request, with what input, and the answer from results.

`decide(req)` is called by `runtime.converse.generate` whenever tools are offered (Converse,
ConverseStream and InvokeModel bodies with tools). It is deterministic and explainable:

1. Plan. The latest user request is split into parts ("... and also ...", sentences, "and").
   Each part is scored against every tool: cosine similarity of the local embeddings (the
   tool's name and description vs the part), word overlap with the tool's name, description,
   parameter names, descriptions and enum values, and *evidence*: how much of the tool's
   required input the part itself supplies (an id matching the parameter's pattern, an enum
   value, an email, an arithmetic expression, a number). Parts whose best score is below
   THRESHOLD are merged into their neighbour; a request where no part reaches it gets no
   tool (the normal responder answers). Several parts with different tools give several
   tool calls in one turn.
2. Fill. Each chosen tool's input is filled from the part's text against its JSON schema:
   strings (patterns, formats, ids, quoted text, free text for query-like fields, arithmetic
   for expression-like fields), numbers and integers (with minimum/maximum), booleans,
   enums (values and aliases written in the description, e.g. "EUR (euros)"), arrays and
   nested objects. The input is validated with jsonschema before it is sent. A required
   field the request does not supply is taken from earlier tool results when there are some
   (a dependent call, e.g. convert an order's total) or from earlier turns of the
   conversation (a follow-up, "and with express shipping?"); else the engine asks for it.
3. Answer. Once every planned call has a result, it answers in text that quotes the results
   (status "error" results are reported as failures, never retried with the same input).
   The same tool is never called twice with the same input for one request.

toolChoice: auto (or none given) may answer without tools; `any` and `tool` force a call on
the first turn of a request (the best tool, or the named one, filled as well as possible).
The engine is not a model: it quotes results, it does not reason over them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from local_bedrock.catalog import base_model_id
from local_bedrock.markers import MARKER
from local_bedrock.text import embeddings
from local_bedrock.text.tokens import count_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult, Turn

THRESHOLD = 0.25  # below this score no tool fits a part of the request
W_COS, W_LEX, W_EV = 0.45, 0.25, 0.3  # score = weighted cosine + word overlap + input evidence
W_GAP = 0.1  # minus this x the share of precise required inputs (ids, emails...) not found
MAX_TOOL_ROUNDS = 4  # tool-use turns per request before the engine answers with what it has

_WORD = re.compile(r"[a-z0-9]+")
_STOP = set("""a an the and or but if of to in on at for with by from as is are was were be been
being it its this that these those what which who whom whose when where why how do does did can
could should would will shall may might must i you he she we they me him her us them my your our
their please tell about give explain describe any some all not no yes than then there here
into over under up so such very just also only own same other get got want need like e g eg
one use using used many much long""".split())
_SPLIT_STRONG = re.compile(
    r"(?:(?<=[.?!;])\s+)|\s*;\s*|,?\s+and\s+also\s+|,?\s+and\s+then\s+|,\s+then\s+|"
    r"\.?\s+also,?\s+|,?\s+as\s+well\s+as\s+|,?\s+plus\s+(?=[a-z]+\s)", re.I)
_SPLIT_AND = re.compile(r",?\s+and\s+|,\s+(?=(?:what|how|which|who|when|where|is|are|can|"
                        r"could|tell|look|check|get|find|list|show|search|open|convert|"
                        r"calculate|compute)\b)", re.I)


# =========================================================================== data types


@dataclass
class ToolScore:
    """How well one tool fits a piece of text, and why."""

    name: str
    score: float
    cosine: float
    lexical: float
    evidence: float
    matched_words: list[str] = field(default_factory=list)

    def explain(self) -> str:
        words = ", ".join(self.matched_words[:4]) or "none"
        return (f"{self.name} {self.score:.2f} (meaning {self.cosine:.2f}, shared words "
                f"{self.lexical:.2f}: {words}; input found {self.evidence:.2f})")


@dataclass
class Filled:
    """An input filled from text: the value, where each field came from, what is missing."""

    value: dict
    sources: dict[str, str] = field(default_factory=dict)  # field path -> how it was found
    strength: dict[str, float] = field(default_factory=dict)  # required field -> evidence
    missing: list[str] = field(default_factory=list)  # required field paths not found
    errors: list[str] = field(default_factory=list)  # jsonschema messages, if any

    @property
    def complete(self) -> bool:
        return not self.missing and not self.errors


@dataclass
class PlannedCall:
    name: str
    part: str
    filled: Filled
    score: ToolScore


# =========================================================================== public API


def decide(req: GenerationRequest) -> GenerationResult | None:
    """Tool calls or a final answer for a request that offers tools; None to let the
    normal responder answer (no tool fits, or the request is not a tool-use turn)."""
    specs = [_spec(t) for t in req.tools]
    specs = [s for s in specs if s.get("name")]
    if not specs or not req.messages or req.messages[-1].role != "user":
        return None
    q_index = _question_index(req.messages)
    if q_index is None:
        return None
    question = req.messages[q_index].text.strip()
    made, results = _history(req.messages[q_index + 1:])
    rounds = sum(1 for t in req.messages[q_index + 1:]
                 if t.role == "assistant" and any("toolUse" in b for b in t.content))
    choice = req.tool_choice or {}
    by_name = {s["name"]: s for s in specs}
    context = "\n".join(filter(None, [_context_text(made, results),
                                       _earlier_context(req.messages[:q_index])]))
    first_turn = not made
    forced_name = (choice.get("tool") or {}).get("name") if first_turn else None
    if forced_name and forced_name in by_name:
        calls = [_plan_forced(question, by_name[forced_name], specs, context)]
    else:
        calls = plan(question, specs, context)
        if not calls and first_turn and "any" in choice:
            best = rank_tools(question, specs)[0]
            calls = [_plan_forced(question, by_name[best.name], specs, context)]
    done = {(n, _canon(i)) for n, i, _ in made}
    todo = [c for c in calls if (c.name, _canon(c.filled.value)) not in done]
    ready = [c for c in todo if c.filled.complete or (first_turn and choice and
                                                      ("any" in choice or "tool" in choice))]
    waiting = [c for c in todo if c not in ready]
    if ready and rounds < MAX_TOOL_ROUNDS:
        return _tool_use_result(req, ready, question)
    if made:
        return _final_answer(req, question, made, results, waiting)
    if waiting:
        return _ask_for_missing(req, waiting)
    return None


def rank_tools(text: str, specs: list[dict]) -> list[ToolScore]:
    """Every tool scored against `text`, best first (ties broken by name)."""
    specs = [_spec(s) for s in specs]
    if not specs:
        return []
    qvec = _embed([text])[0]
    qwords = _content_words(text)
    out = []
    for spec in specs:
        tvecs = _embed(_tool_segments(spec))
        cos = float(np.clip((tvecs @ qvec).max(), 0.0, 1.0))
        twords = _tool_words(spec)
        shared = sorted(qwords & twords)
        lex = len(shared) / len(qwords) if qwords else 0.0
        filled = fill_arguments(_schema(spec), text)
        ev = _evidence(_schema(spec), filled)
        gap = _missing_specific(_schema(spec), filled)
        score = W_COS * cos + W_LEX * lex + W_EV * ev - W_GAP * gap
        out.append(ToolScore(spec["name"], round(score, 4), round(cos, 4), round(lex, 4),
                             round(ev, 4), shared))
    return sorted(out, key=lambda s: (-s.score, s.name))


def split_request(text: str) -> list[str]:
    """Split a request into parts that may each need a tool ("X and also Y", sentences)."""
    return [text[a:b] for a, b in _split_spans(text)] or [text.strip()]


def _split_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []

    def pieces(rx: re.Pattern, start: int, end: int):
        pos = start
        for m in rx.finditer(text, start, end):
            yield pos, m.start()
            pos = m.end()
        yield pos, end

    for a, b in pieces(_SPLIT_STRONG, 0, len(text)):
        for c, d in pieces(_SPLIT_AND, a, b):
            while c < d and text[c] in " ,":
                c += 1
            while d > c and text[d - 1] in " ,":
                d -= 1
            if c < d:
                spans.append((c, d))
    return spans


def plan(question: str, specs: list[dict], context: str = "") -> list[PlannedCall]:
    """The tool calls a request asks for: parts grouped, a tool per group, inputs filled."""
    specs = [_spec(s) for s in specs]
    by_name = {s["name"]: s for s in specs}
    # groups: [start, end, selector]; the selector (the request itself) picks the tool, the
    # whole group (with the statements that give details) fills its input
    groups: list[list] = []
    pending = None  # a leading statement waiting for the request after it
    ranked: dict[str, list[ToolScore]] = {}

    def rank(text: str) -> list[ToolScore]:  # each part is ranked once
        if text not in ranked:
            ranked[text] = rank_tools(text, specs)
        return ranked[text]

    for a, b in _split_spans(question) or [(0, len(question))]:
        part = question[a:b]
        if pending is not None:
            a, pending = pending, None
        if not _is_request(part) and b < len(question.rstrip()) and not groups:
            pending = a  # "My order X arrived damaged. Please open a ticket": one request
            continue
        best = rank(part)[0]
        if groups:
            start, _, selector = groups[-1]
            prev_best = rank(selector)[0]
            if prev_best.score < THRESHOLD:
                groups[-1] = [start, b, question[start:b]]
                continue
            same_tool_incomplete = (best.name == prev_best.name and not fill_arguments(
                _schema(by_name[best.name]), part).complete)
            if best.score < THRESHOLD or same_tool_incomplete or not _is_request(part):
                groups[-1] = [start, b, selector]
                continue
        groups.append([a, b, part])
    if pending is not None:
        groups.append([pending, len(question), question[pending:]])
    calls: list[PlannedCall] = []
    for a, b, selector in groups:
        text = question[a:b]
        best = rank(selector)[0]
        if best.score < THRESHOLD:
            continue
        spec = by_name[best.name]
        for variant in _variants(spec, text):
            filled = fill_arguments(_schema(spec), variant, context)
            calls.append(PlannedCall(spec["name"], text, filled, best))
    unique: list[PlannedCall] = []
    seen = set()
    for c in calls:
        key = (c.name, _canon(c.filled.value))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return sorted(unique, key=lambda c: not c.filled.complete)  # callable ones first


_REQUEST = re.compile(
    r"^\W*(?:what|what's|how|which|who|whom|whose|when|where|why|is|are|was|were|do|does|did|"
    r"can|could|would|will|should|shall|may|please|list|show|find|look|check|get|tell|give|"
    r"convert|calculate|compute|work|search|open|create|file|raise|compare|cancel|track|"
    r"send|book|add|sum|multiply|divide|subtract|evaluate|i\s+need|i\s+want|i'd\s+like|"
    r"i\s+would\s+like|let\s+me\s+know|then|also)\b", re.I)


def _is_request(part: str) -> bool:
    """A question or an instruction, as opposed to a statement that only gives details
    ("my email is ...", "ORD-20410"), which belongs to the request beside it."""
    return part.rstrip().endswith("?") or _REQUEST.search(part) is not None


# =========================================================================== argument filling


def fill_arguments(schema: dict, text: str, context: str = "") -> Filled:
    """Fill a JSON-schema object from `text` (then `context` for required fields it lacks)."""
    filler = _Filler(text, context)
    value = filler.object(schema or {}, "", required=True)
    filled = Filled(value if isinstance(value, dict) else {}, filler.sources, filler.strength,
                    filler.missing)
    filled.errors = _validate(schema, filled.value)
    return filled


class _Filler:
    def __init__(self, text: str, context: str):
        self.text = text
        self.context = context
        self.sources: dict[str, str] = {}
        self.strength: dict[str, float] = {}
        self.missing: list[str] = []
        self._used_numbers: set[int] = set()  # start offsets of numbers already assigned
        self._used_enum: dict[str, set[str]] = {}

    # -- dispatch ----------------------------------------------------------------------
    def object(self, schema: dict, path: str, required: bool) -> dict | None:
        props = schema.get("properties") or {}
        req = list(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in props.items():
            sub = sub if isinstance(sub, dict) else {}
            p = f"{path}.{name}" if path else name
            is_req = name in req
            value = self.field(name, sub, p, is_req)
            if value is not None:
                out[name] = value
            elif is_req:
                self.missing.append(p)
        return out if (out or required) else None

    def field(self, name: str, schema: dict, path: str, required: bool) -> Any:
        if not (required and self.context):
            return self._field(name, schema, path, required)
        context, self.context = self.context, ""  # first the request alone
        try:
            value = self._field(name, schema, path, required)
        finally:
            self.context = context
        if value is not None and not self._weak(path):
            return value
        earlier = self._same_field_earlier(name, schema, path)
        if earlier is not None:
            return earlier
        guess, how = value, self.sources.get(path)
        value = self._field(name, schema, path, required)  # values in earlier results
        if value is None or (self._weak(path) and guess is not None):
            if how is not None:
                self.sources[path] = how
            return guess
        return value

    def _weak(self, path: str) -> bool:
        """A guess rather than something the text says (schema default, nearest meaning)."""
        how = self.sources.get(path, "")
        return "default" in how or "closest" in how

    def _same_field_earlier(self, name: str, schema: dict, path: str) -> Any:
        """The value an earlier call gave a field of the same name (a follow-up request)."""
        m = re.search(rf'"{re.escape(name)}"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)',
                      self.context)
        if not m:
            return None
        value = json.loads(m.group(1))
        if _validate(schema, value):
            return None
        self._note(path, "the same field in an earlier call", 0.5, True)
        return value

    def _field(self, name: str, schema: dict, path: str, required: bool) -> Any:
        kind = _type_of(schema)
        if "enum" in schema:
            return self.enum(name, schema, path, required)
        if "const" in schema:
            self._note(path, "the schema's const", 1.0, required)
            return schema["const"]
        if kind == "object":
            value = self.object(schema, path, required)
            if value is not None:
                self._note(path, "nested object", 0.0, False)
            return value
        if kind == "array":
            return self.array(name, schema, path, required)
        if kind in ("number", "integer"):
            return self.number(name, schema, path, required, integer=kind == "integer")
        if kind == "boolean":
            return self.boolean(name, schema, path, required)
        return self.string(name, schema, path, required)

    def _note(self, path: str, how: str, strength: float, required: bool) -> None:
        self.sources[path] = how
        if required:
            self.strength[path] = strength

    # -- strings -------------------------------------------------------------------------
    def string(self, name: str, schema: dict, path: str, required: bool) -> str | None:
        hint = _hint(name, schema)
        for source, text in (("request", self.text), ("earlier tool results", self.context)):
            if not text or (source != "request" and not required):
                continue
            value, how, strength = self._string_from(name, schema, hint, text, required,
                                                     source == "request")
            if value is not None:
                if source != "request":
                    how, strength = f"{how} in {source}", strength
                self._note(path, how, strength, required)
                return value
        if required and "default" in schema:
            self._note(path, "the schema's default", 0.0, required)
            return schema["default"]
        return None

    def _string_from(self, name: str, schema: dict, hint: str, text: str, required: bool,
                     is_request: bool) -> tuple[str | None, str, float]:
        pattern = schema.get("pattern")
        if pattern:
            found = _pattern_matches(pattern, text)
            if found:
                return found[0], f"matches the pattern {pattern}", 1.0
            return None, "", 0.0
        fmt = schema.get("format", "")
        if fmt == "email" or re.search(r"\be-?mail\b", hint):
            emails = _EMAIL.findall(text)
            return (emails[0], "an email address", 1.0) if emails else (None, "", 0.0)
        if fmt == "date" or re.search(r"\bdate\b", hint):
            dates = re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)
            return (dates[0], "a date", 1.0) if dates else (None, "", 0.0)
        if re.search(r"\b(expression|formula|equation|arithmetic|math)\b", hint):
            expr = extract_expression(text) if is_request else None
            return (expr, "arithmetic in the request", 1.0) if expr else (None, "", 0.0)
        if re.search(r"(^|[_\s])(id|sku|code|number|reference)\b", hint):
            ids = _ID.findall(text)
            return (ids[0], "an id-like token", 0.8) if ids else (None, "", 0.0)
        if not is_request:
            return None, "", 0.0
        quoted = _quoted(text)
        if quoted:
            return quoted[0], "quoted text", 0.6
        if re.search(r"\b(query|question|search|keywords?|topic|text|summary|message|"
                     r"description|prompt|content|body|note|reason|details?|request|issue|"
                     r"problem)\b", hint):
            return _free_text(text), "the request's words", 0.25
        proper = _proper_nouns(text)
        if proper:
            return proper[0], "a proper noun", 0.4
        if required:
            return _free_text(text), "the request's words", 0.1
        return None, "", 0.0

    # -- numbers -----------------------------------------------------------------------
    def number(self, name: str, schema: dict, path: str, required: bool, integer: bool):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        keys = _words_of(_hint(name, schema)) - _STOP

        def ok(v: float) -> bool:
            if integer and abs(v - round(v)) > 1e-9:
                return False
            return (lo is None or v >= lo) and (hi is None or v <= hi)

        nums = [n for n in _numbers(self.text) if n[1] not in self._used_numbers and ok(n[0])]
        near = [n for n in nums if _near_keyword(self.text, n, keys)]
        pick, how, strength = None, "", 0.0
        if near:
            pick, how, strength = near[0], "a number next to its name", 1.0
        elif required and nums:
            pick, how, strength = nums[0], "a number in the request", 0.5
        if pick is not None:
            self._used_numbers.add(pick[1])
            value = pick[0]
            self._note(path, how, strength, required)
            return int(round(value)) if integer else value
        if required and self.context:
            value = _number_from_context(self.context, name, schema, ok)
            if value is not None:
                self._note(path, "a value in earlier tool results", 0.5, required)
                return int(round(value)) if integer else value
        if required and "default" in schema:
            self._note(path, "the schema's default", 0.0, required)
            return schema["default"]
        return None

    # -- enums ---------------------------------------------------------------------------
    def enum(self, name: str, schema: dict, path: str, required: bool):
        values = list(schema["enum"])
        key = json.dumps(values, sort_keys=True, default=str)
        used = self._used_enum.setdefault(key, set())
        for source, text in (("request", self.text), ("earlier tool results", self.context)):
            if not text or (source != "request" and not required):
                continue
            hits = _enum_hits(values, schema.get("description", ""), text)
            hits = [h for h in hits if str(h[0]) not in used]
            hits = _direction_filter(name, hits, text)
            if not hits:
                continue
            pick = hits[0]
            used.add(str(pick[0]))
            how = "an enum value named in the " + source
            self._note(path, how, 1.0 if source == "request" else 0.5, required)
            return pick[0]
        if "default" in schema:
            if required:
                self._note(path, "the schema's default", 0.0, required)
            return schema["default"] if required else None
        named = {str(h[0]) for h in _enum_hits(values, schema.get("description", ""),
                                                self.text)}
        left = [v for v in values if str(v) not in used and str(v) not in named]
        if required and all(isinstance(v, str) for v in values) and len(left) > 1:
            # values the request names for another field (e.g. "to pounds") are not guessed
            sims = embeddings.similarity([self.text], [v.replace("_", " ") for v in left])[0]
            best = int(np.argmax(sims))
            self._note(path, f"the closest enum value by meaning ({sims[best]:.2f})", 0.2,
                       required)
            used.add(str(left[best]))
            return left[best]
        return None

    # -- booleans and arrays ------------------------------------------------------------------
    def boolean(self, name: str, schema: dict, path: str, required: bool):
        words = _words_of(name.replace("_", " ")) - _STOP
        low = self.text.lower()
        for w in sorted(words):
            m = re.search(rf"\b{re.escape(w)}", low)
            if m:
                before = low[max(0, m.start() - 25):m.start()]
                negated = re.search(r"\b(no|not|without|don't|do not|never)\b", before)
                self._note(path, f"'{w}' in the request", 1.0, required)
                return not negated
        if required:
            value = schema.get("default", False)
            self._note(path, "the default", 0.0, required)
            return value
        return None

    def array(self, name: str, schema: dict, path: str, required: bool):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        kind = _type_of(items)
        out: list = []
        if "enum" in items:
            out = [h[0] for h in _enum_hits(list(items["enum"]), items.get("description", ""),
                                             self.text)]
        elif kind in ("number", "integer"):
            out = [int(n[0]) if kind == "integer" else n[0] for n in _numbers(self.text)
                   if kind != "integer" or abs(n[0] - round(n[0])) < 1e-9]
        elif kind == "object":
            one = self.object(items, f"{path}[0]", required=required)
            out = [one] if one else []
        else:
            pattern = items.get("pattern")
            out = (_pattern_matches(pattern, self.text) if pattern else _quoted(self.text)
                   or _list_after_colon(self.text))
        if out:
            if schema.get("maxItems"):
                out = out[: schema["maxItems"]]
            self._note(path, f"{len(out)} item(s) from the request", 1.0, required)
            return out
        return [] if required else None


# =========================================================================== text extraction

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ID = re.compile(r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b"
                 r"|\b[A-Z]{1,4}\d{3,}\b|(?<![\d.,$])\b\d{4,}\b(?![.,]\d)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*%)?(?![\w])")


def _numbers(text: str) -> list[tuple[float, int, str]]:
    """Numbers in text as (value, start offset, raw), skipping ids, emails and dates."""
    masked = text
    for rx in (_EMAIL, re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), re.compile(r"\b[A-Za-z]+[-_]\w*\d\w*")):
        masked = rx.sub(lambda m: " " * len(m.group(0)), masked)
    out = []
    for m in _NUMBER.finditer(masked):
        raw = m.group(0)
        clean = raw.replace("$", "").replace(",", "").replace("%", "").strip()
        try:
            value = float(clean)
        except ValueError:
            continue
        out.append((value, m.start(), raw.strip()))
    return out


def _near_keyword(text: str, number: tuple[float, int, str], keys: set[str]) -> bool:
    """A number counts as named when one of its field's words is within 3 words of it."""
    if not keys:
        return False
    start = number[1]
    end = start + len(number[2])
    # a window of 300 characters either side holds the 3 nearest words (the 4th found shows
    # that a word cut at the window's edge is not among them); else read to the text's edge
    before = _WORD.findall(text[max(0, start - 300):start].lower())
    if len(before) < 4:
        before = _WORD.findall(text[:start].lower())
    after = _WORD.findall(text[end:end + 300].lower())
    if len(after) < 4:
        after = _WORD.findall(text[end:].lower())
    before, after = before[-3:], after[:3]
    near = {_stem(w) for w in before + after}
    return bool(near & {_stem(k) for k in keys})


def _pattern_matches(pattern: str, text: str) -> list[str]:
    """Substrings of text that match an (anchored) schema pattern, upper-cased if needed."""
    core = pattern[1:] if pattern.startswith("^") else pattern
    core = core[:-1] if core.endswith("$") and not core.endswith("\\$") else core
    try:
        rx = re.compile(rf"(?<![\w-])(?:{core})(?![\w-])", re.I)
        full = re.compile(pattern)
    except re.error:
        return []
    out = []
    for m in rx.finditer(text):
        for candidate in (m.group(0), m.group(0).upper(), m.group(0).lower()):
            if full.search(candidate) and candidate not in out:
                out.append(candidate)
                break
    return out


def _quoted(text: str) -> list[str]:
    found = re.findall(r"\"([^\"]{1,200})\"|“([^”]{1,200})”|(?<![\w])'([^']{2,200})'(?![\w])",
                       text)
    return [next(g for g in groups if g) for groups in found]


def _list_after_colon(text: str) -> list[str]:
    m = re.search(r":\s*([^:.?!]+)$", text.strip())
    if not m:
        return []
    items = re.split(r",\s*|\s+and\s+", m.group(1))
    return [i.strip() for i in items if i.strip()]


def _proper_nouns(text: str) -> list[str]:
    """Capitalised word runs that are not the first word of the text."""
    out = []
    for m in re.finditer(r"(?<=\s)([A-Z][\w'-]+(?:\s+[A-Z0-9][\w'-]*)*)", text):
        phrase = m.group(1).strip()
        if phrase.lower() not in _STOP and phrase not in out:
            out.append(phrase)
    return out


_LEAD = re.compile(r"^(?:(?:please|can you|could you|would you|i'd like you to|i want to|"
                   r"i need to|help me)\s+)*(?:search|look\s*up|find|check|query|consult|"
                   r"use)\b[^,]*?\b(?:for|about|on|whether|if)\s+", re.I)


def _free_text(text: str) -> str:
    text = text.strip().rstrip("?.! ")
    stripped = _LEAD.sub("", text)
    return stripped if len(stripped) >= 3 else text


_WORD_OPS = [
    (r"\bmultiplied\s+by\b", "*"), (r"\btimes\b", "*"), (r"\bdivided\s+by\b", "/"),
    (r"\bplus\b", "+"), (r"\badded\s+to\b", "+"), (r"\bminus\b", "-"), (r"\bless\b", "-"),
    (r"\bto\s+the\s+power\s+of\b", "**"), (r"\bsquared\b", "**2"), (r"\bcubed\b", "**3"),
    (r"\bper\s*cent\b|\bpercent\b", "%"), (r"(?<=\d)\s*[x×]\s*(?=\d)", "*"), (r"÷", "/"),
]


def extract_expression(text: str) -> str | None:
    """The arithmetic a request asks for, as a Python expression, or None."""
    t = text.lower()
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t).replace("$", "")
    for rx, op in _WORD_OPS:
        t = re.sub(rx, f" {op} ", t)
    t = re.sub(r"\bsquare\s+root\s+of\s+(\d+(?:\.\d+)?)", r"(\1 ** 0.5)", t)
    m = re.search(r"\b(sum|total|average|mean|product)\s+of\s+((?:\d+(?:\.\d+)?(?:\s*,\s*|\s+"
                  r"and\s+|\s*,\s*and\s+)?)+)", t)
    if m:
        nums = re.findall(r"\d+(?:\.\d+)?", m.group(2))
        if len(nums) >= 2:
            if m.group(1) in ("sum", "total"):
                return " + ".join(nums)
            if m.group(1) == "product":
                return " * ".join(nums)
            return f"({' + '.join(nums)}) / {len(nums)}"
    num = r"\d+(?:\.\d+)?"
    t = re.sub(rf"({num})\s*%\s*off\s*(?:of\s*)?({num})", r"\2 * (1 - \1 / 100)", t)
    t = re.sub(rf"({num})\s+(?:with|after|at)\s+(?:a\s+)?({num})\s*%\s*(?:off|discount)",
               r"\1 * (1 - \2 / 100)", t)
    t = re.sub(rf"({num})\s*([-+])\s*({num})\s*%", lambda m: (
        f"{m.group(1)} * (1 {m.group(2)} {m.group(3)} / 100)"), t)
    t = re.sub(rf"({num})\s*%\s*of\s*", r"\1 / 100 * ", t)
    t = re.sub(rf"({num})\s*%", r"(\1 / 100)", t)
    tokens = re.findall(r"\d+(?:\.\d+)?|\*\*|[-+*/()]|[a-z]+|\S", t)
    best: list[str] = []
    run: list[str] = []
    for tok in tokens + ["<end>"]:
        if re.fullmatch(r"\d+(?:\.\d+)?|\*\*|[-+*/()]", tok):
            run.append(tok)
            continue
        cand = _balanced(run)
        if sum(re.fullmatch(r"\d+(?:\.\d+)?", x) is not None for x in cand) >= 2 and any(
                x in ("+", "-", "*", "/", "**") for x in cand) and len(cand) > len(best):
            best = cand
        run = []
    if not best:
        return None
    expr = " ".join(best).replace("( ", "(").replace(" )", ")")
    try:
        ast.parse(expr, mode="eval")
    except SyntaxError:
        return None
    return expr


def _balanced(tokens: list[str]) -> list[str]:
    toks = list(tokens)
    while toks and toks[0] in ("+", "*", "/", "**", ")"):
        toks.pop(0)
    while toks and toks[-1] in ("+", "-", "*", "/", "**", "("):
        toks.pop()
    depth = 0
    out = []
    for tok in toks:
        if tok == "(":
            depth += 1
        elif tok == ")":
            if depth == 0:
                continue
            depth -= 1
        out.append(tok)
    out += [")"] * depth
    return out


def _enum_hits(values: list, description: str, text: str) -> list[tuple[Any, int, str]]:
    """Enum values named in text (by value, or an alias from the description), in order."""
    low = text.lower()
    hits = []
    for v in values:
        names = [str(v), str(v).replace("_", " "), str(v).replace("_", "-")]
        names += _aliases(str(v), description)
        best = None
        for nm in {n.lower() for n in names if n}:
            rx = re.escape(nm) if not nm[-1].isalnum() else rf"{re.escape(nm)}(?:e?s)?"
            m = re.search(rf"(?<![\w]){rx}(?![\w])", low)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), m.group(0))
        if best is not None:
            hits.append((v, best[0], best[1]))
    return sorted(hits, key=lambda h: h[1])


def _aliases(value: str, description: str) -> list[str]:
    """Aliases the schema itself gives: 'EUR (euros, €)' or 'EUR = euro' in a description."""
    out = []
    for m in re.finditer(rf"\b{re.escape(value)}\b\s*(?:\(([^)]*)\)|=\s*([^,;.]+))", description):
        body = m.group(1) or m.group(2) or ""
        out += [a.strip() for a in re.split(r",|/|\bor\b", body) if a.strip()]
    return out


_TARGET = re.compile(r"(^|_)(to|target|dest|destination|into|output)(_|$)")
_SOURCE = re.compile(r"(^|_)(from|source|src|input|base)(_|$)")


def _direction_filter(name: str, hits: list, text: str) -> list:
    """For from/to-style fields: a value after 'to/into/in' belongs to the target field,
    one after 'from' (or with no preposition) to the source field."""
    low_name = name.lower()
    target, source = bool(_TARGET.search(low_name)), bool(_SOURCE.search(low_name))
    if not (target or source):
        return hits
    low = text.lower()
    out = []
    for h in hits:
        before = low[max(0, h[1] - 16):h[1]] if h[1] else ""
        says_to = re.search(r"\b(to|into|in)\s+(?:[a-z]+\s+)?$", before) is not None
        if says_to == target:
            out.append(h)
    return out


def _number_from_context(context: str, name: str, schema: dict, ok) -> float | None:
    """A number for a field from earlier tool results: the JSON key closest to its name."""
    pairs = re.findall(r"\"?([A-Za-z_][\w ]{0,40})\"?\s*[:=]\s*\"?\$?(-?\d+(?:\.\d+)?)", context)
    pairs = [(k, float(v)) for k, v in pairs if ok(float(v))]
    if not pairs:
        nums = [n[0] for n in _numbers(context) if ok(n[0])]
        return nums[-1] if nums else None
    hint = _hint(name, schema)
    keys = [k.replace("_", " ") for k, _ in pairs]
    sims = embeddings.similarity([hint], keys)[0]
    lex = np.array([len(_content_words(k) & _content_words(hint + " total amount result value"))
                    for k in keys], dtype=float)
    best = int(np.argmax(sims + 0.5 * lex))
    return pairs[best][1]


# =========================================================================== scoring helpers

_embed_cache: dict[str, np.ndarray] = {}
_embed_lock = threading.Lock()


def _embed(texts: list[str]) -> np.ndarray:
    with _embed_lock:
        todo = [t for t in texts if t not in _embed_cache]
        if todo:
            for t, v in zip(todo, embeddings.embed(todo), strict=True):
                _embed_cache[t] = v
        if len(_embed_cache) > 4096:
            _embed_cache.clear()
            return embeddings.embed(texts)
        return np.stack([_embed_cache[t] for t in texts])


def _stem(w: str) -> str:
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: len(w) - len(suffix)] + repl
    return w


def _words_of(text: str) -> set[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ")
    return set(_WORD.findall(text.lower()))


@lru_cache(maxsize=8192)
def _content_words(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _words_of(text) if w not in _STOP and len(w) > 1
                     and not w.isdigit())


def _tool_sentence(spec: dict) -> str:
    name = " ".join(sorted(_words_of(spec["name"]), key=spec["name"].lower().find))
    return f"{name}: {spec.get('description', '')}".strip()


def _tool_segments(spec: dict) -> list[str]:
    """What a request is compared with: the tool's name + description, and each sentence
    and list item of the description (a long description lists several topics)."""
    name = " ".join(sorted(_words_of(spec["name"]), key=spec["name"].lower().find))
    desc = spec.get("description", "")
    pieces = [p.strip() for p in re.split(r"[.:;()]\s*|,\s+(?:and\s+)?", desc) if p.strip()]
    return [_tool_sentence(spec)] + [f"{name}: {p}" for p in pieces if len(p.split()) >= 2]


def _tool_words(spec: dict) -> set[str]:
    parts = [spec["name"], spec.get("description", "")]

    def walk(schema: dict) -> None:
        for pname, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            parts.extend([pname, sub.get("description", "")])
            parts.extend(str(v) for v in sub.get("enum", []))
            walk(sub)
            if isinstance(sub.get("items"), dict):
                walk(sub["items"])

    walk(_schema(spec))
    return _content_words(" ".join(parts))


def _evidence(schema: dict, filled: Filled) -> float:
    """How much of the required input the text supplies (0..1), per required field."""
    req = _required_leaves(schema)
    if not req:
        return 0.0
    return sum(filled.strength.get(p, 0.0) for p in req) / len(req)


def _missing_specific(schema: dict, filled: Filled) -> float:
    """Share of required fields that need a precise value (pattern, format, number) and were
    not found: a tool the request cannot feed ranks below one it can."""
    req = _required_leaves(schema)
    precise = [p for p in req if _is_precise(_leaf(schema, p))]
    if not req or not precise:
        return 0.0
    return sum(1 for p in precise if filled.strength.get(p, 0.0) < 0.5) / len(req)


def _is_precise(leaf: dict) -> bool:
    return bool(leaf.get("pattern") or leaf.get("format") or _type_of(leaf) in (
        "number", "integer"))


def _leaf(schema: dict, path: str) -> dict:
    for key in path.split("."):
        schema = (schema.get("properties") or {}).get(key, {})
    return schema


def _required_leaves(schema: dict, path: str = "") -> list[str]:
    out = []
    props = schema.get("properties") or {}
    for name in schema.get("required") or []:
        sub = props.get(name) or {}
        p = f"{path}.{name}" if path else name
        if _type_of(sub) == "object" and "enum" not in sub and sub.get("properties"):
            out += _required_leaves(sub, p) or [p]
        else:
            out.append(p)
    return out


def _leaves(value: Any) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def _get_path(value: dict, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _variants(spec: dict, text: str) -> list[str]:
    """One text per call: a part naming several ids for a one-id tool asks for each of them."""
    schema = _schema(spec)
    props = schema.get("properties") or {}
    patterned = [n for n in schema.get("required") or []
                 if isinstance(props.get(n), dict) and props[n].get("pattern")]
    if len(patterned) != 1:
        return [text]
    found = _pattern_matches(props[patterned[0]]["pattern"], text)
    if len(found) < 2:
        return [text]
    out = []
    for keep in found:
        variant = text
        for other in found:
            if other != keep:
                variant = re.sub(re.escape(other), " ", variant, flags=re.I)
        out.append(variant)
    return out


# =========================================================================== conversation


def _spec(tool: dict) -> dict:
    return tool.get("toolSpec", tool) if isinstance(tool, dict) else {}


def _schema(spec: dict) -> dict:
    schema = (spec.get("inputSchema") or {}).get("json", spec.get("inputSchema") or {})
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            schema = {}
    return schema if isinstance(schema, dict) else {}


def _type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if not kind:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return "string"
    return kind


def _hint(name: str, schema: dict) -> str:
    return f"{name.replace('_', ' ')} {schema.get('description', '')}".lower()


def _question_index(messages: list[Turn]) -> int | None:
    """The latest user turn with text (tool-result-only turns are not new questions)."""
    for i in range(len(messages) - 1, -1, -1):
        turn = messages[i]
        if turn.role == "user" and turn.text.strip() and not any(
                "toolResult" in b for b in turn.content):
            return i
    return None


def _history(turns: list[Turn]) -> tuple[list[tuple[str, dict, str]], dict[str, dict]]:
    """Tool calls made since the question, as (name, input, id), and results by id."""
    made, results = [], {}
    for turn in turns:
        for block in turn.content:
            if "toolUse" in block:
                use = block["toolUse"]
                made.append((use.get("name", ""), use.get("input") or {}, use.get("toolUseId")))
            elif "toolResult" in block:
                res = block["toolResult"]
                results[res.get("toolUseId")] = res
    return made, results


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _result_text(result: dict) -> str:
    parts = []
    for block in result.get("content") or []:
        if "text" in block:
            parts.append(str(block["text"]))
        elif "json" in block:
            parts.append(json.dumps(block["json"], default=str))
    return "\n".join(parts)


def _context_text(made: list, results: dict) -> str:
    return "\n".join(_result_text(results[i]) for _, _, i in made
                     if i in results and results[i].get("status") != "error")


def _earlier_context(turns: list[Turn]) -> str:
    """Earlier turns of the conversation (newest first): user text, tool inputs and results.
    A follow-up like "and with express shipping?" takes the inputs it lacks from here."""
    parts = []
    for turn in reversed(turns):
        for block in turn.content:
            if "toolUse" in block:
                parts.append(json.dumps(block["toolUse"].get("input") or {}, default=str))
            elif "toolResult" in block and block["toolResult"].get("status") != "error":
                parts.append(_result_text(block["toolResult"]))
        if turn.role == "user" and turn.text.strip():
            parts.append(turn.text)
    return "\n".join(parts)


def _plan_forced(question: str, spec: dict, specs: list[dict], context: str) -> PlannedCall:
    score = next(s for s in rank_tools(question, [spec]) if s.name == spec["name"])
    filled = fill_arguments(_schema(spec), question, context)
    if filled.missing:
        filled = _placeholder_fill(_schema(spec), filled)
    return PlannedCall(spec["name"], question, filled, score)


def _placeholder_fill(schema: dict, filled: Filled) -> Filled:
    """toolChoice forces a call the request cannot fill: use schema defaults/examples."""
    value = json.loads(json.dumps(filled.value))
    for path in filled.missing:
        node, sub = value, schema
        keys = path.split(".")
        for k in keys[:-1]:
            sub = (sub.get("properties") or {}).get(k, {})
            node = node.setdefault(k, {})
        leaf = (sub.get("properties") or {}).get(keys[-1], {})
        guess = leaf.get("default", (leaf.get("examples") or [None])[0])
        if guess is None:
            kind = _type_of(leaf)
            guess = (leaf["enum"][0] if leaf.get("enum") else 0 if kind in ("number", "integer")
                     else False if kind == "boolean" else [] if kind == "array"
                     else {} if kind == "object" else "")
        node[keys[-1]] = guess
        filled.sources[path] = "placeholder (forced by toolChoice; not in the request)"
    out = Filled(value, filled.sources, filled.strength, [], [])
    out.errors = _validate(schema, value)
    return out


def _validate(schema: dict, value: dict) -> list[str]:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is a workshop requirement
        return []
    try:
        cls = jsonschema.validators.validator_for(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        return [e.message for e in validator.iter_errors(value)]
    except jsonschema.SchemaError as exc:
        return [f"invalid schema: {exc.message}"]


def _tool_use_id(req: GenerationRequest, index: int, call: PlannedCall) -> str:
    key = json.dumps([base_model_id(req.model_id), [(t.role, t.content) for t in req.messages], index,
                      call.name, call.filled.value], sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "tooluse_" + "".join(alphabet[b % len(alphabet)] for b in digest[:22])


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _args(value: dict) -> str:
    return ", ".join(f"{k}={_short(v, 60)}" for k, v in value.items())


def _tool_use_result(req: GenerationRequest, calls: list[PlannedCall],
                     question: str) -> GenerationResult:
    from local_bedrock.text.responder import count_request_tokens

    lines = [f"{MARKER} Tool use chosen by the local engine (scores: meaning, shared words, "
             f"input found):"]
    uses = []
    for i, call in enumerate(calls):
        ranking = rank_tools(call.part, req.tools)
        runner_up = next((s for s in ranking if s.name != call.name), None)
        why = call.score.explain()
        if runner_up is not None:
            why += f"; next {runner_up.name} {runner_up.score:.2f}"
        sources = "; ".join(f"{k}: {v}" for k, v in call.filled.sources.items())
        lines.append(f"- {call.name}({_args(call.filled.value)}): {why}."
                     + (f" Input found as: {sources}." if sources else "")
                     + (f" Not valid: {'; '.join(call.filled.errors)}." if call.filled.errors
                        else ""))
        uses.append({"toolUseId": _tool_use_id(req, i, call), "name": call.name,
                     "input": call.filled.value})
    text = "\n".join(lines)
    out_tokens = count_tokens(text) + sum(count_tokens(json.dumps(u)) for u in uses)
    return GenerationResult(text=text, stop_reason="tool_use",
                            input_tokens=count_request_tokens(req), output_tokens=out_tokens,
                            tool_uses=uses)


def _ask_for_missing(req: GenerationRequest, waiting: list[PlannedCall]) -> GenerationResult:
    from local_bedrock.text.responder import count_request_tokens, finish

    call = waiting[0]
    schema = _schema(next(_spec(t) for t in req.tools if _spec(t).get("name") == call.name))
    needs = []
    for path in call.filled.missing or []:
        leaf = schema
        for k in path.split("."):
            leaf = (leaf.get("properties") or {}).get(k, {})
        desc = leaf.get("description", "")
        needs.append(f"{path} ({desc})" if desc else path)
    needs += call.filled.errors
    text = (f"{MARKER} The tool {call.name} fits this request (score {call.score.score:.2f}), "
            f"but the request does not give: {'; '.join(needs)}. Please provide it.")
    return finish(req, text, count_request_tokens(req))


def _final_answer(req: GenerationRequest, question: str, made: list, results: dict,
                  waiting: list[PlannedCall]) -> GenerationResult:
    from local_bedrock.text.responder import count_request_tokens, finish

    lines = [f"{MARKER} Answer assembled from the tool results (the local engine quotes them; "
             "it does not reason over them):"]
    for name, value, use_id in made:
        result = results.get(use_id)
        call = f"{name}({_args(value)})"
        if result is None:
            lines.append(f"- {call}: no result was returned.")
            continue
        body = _result_text(result)
        if result.get("status") == "error":
            lines.append(f"- {call} failed: {_short(body, 240).rstrip('.')}. I could not "
                         "complete this part.")
            continue
        lines.append(f"- {call}: {_summarise_result(body, question)}")
    for call in waiting:
        lines.append(f"- {call.name} was not called: the request and the results do not give "
                     f"{', '.join(call.filled.missing + call.filled.errors)}.")
    return finish(req, "\n".join(lines), count_request_tokens(req))


def _summarise_result(body: str, question: str) -> str:
    """A result as text: JSON fields as 'key: value', long passages reduced to best sentences."""
    data = _parse_json(body)
    if data is None:
        if len(body) <= 400:
            return _short(body, 400)
        return _best_sentences(body, question)
    passages = _passages(data)
    if passages:
        return _best_passages(passages, question)
    return _short(_flatten(data), 600)


def _parse_json(body: str) -> Any:
    body = body.strip()
    if not body or body[0] not in "[{":
        return None
    try:
        return json.loads(body)
    except ValueError:
        try:
            return ast.literal_eval(body)
        except (ValueError, SyntaxError):
            return None


def _flatten(data: Any) -> str:
    """JSON as compact text: 'key: value; key: value', lists of objects numbered."""
    if isinstance(data, dict):
        parts = []
        for k, v in data.items():
            if v in (None, "", [], {}):
                continue
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                inner = " ".join(f"({i}) " + _flatten(x).replace("; ", ", ")
                                 for i, x in enumerate(v[:10], 1))
                parts.append(f"{k}: {inner}")
            elif isinstance(v, list):
                parts.append(f"{k}: " + ", ".join(str(x) for x in v[:10]))
            elif isinstance(v, dict):
                parts.append(f"{k}: {{{_flatten(v)}}}")
            else:
                parts.append(f"{k}: {v}")
        return "; ".join(parts)
    if isinstance(data, list):
        return " | ".join(_flatten(v) for v in data[:10])
    return str(data)


def _passages(data: Any) -> list[tuple[str, str, str]]:
    """(source, title, text) for retrieval-like results: objects with a long text field."""
    items = data.get("results", data.get("passages")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        if isinstance(item, dict):
            text = next((v for v in item.values() if isinstance(v, str) and len(v) > 80), None)
            src = next((str(item[k]) for k in ("doc_id", "source", "id", "uri") if k in item),
                       "")
            title = str(item.get("title", ""))
            if text:
                out.append((src, title, text))
    return out


def _best_passages(passages: list[tuple[str, str, str]], question: str) -> str:
    """The two sentences of the passages that best answer the question, with sources.
    A sentence is scored with its passage's title (section headings carry meaning)."""

    cands = [(src, sentence, rank, heading)
             for rank, (src, title, text) in enumerate(passages)
             for heading, sentence in _sections(text, title)]
    if not cands:
        return "no passages."
    scores = _sentence_scores(question, [f"{t}: {s}" if t else s for _, s, _, t in cands])
    scores = scores - 0.05 * np.array([c[2] for c in cands])  # the search's own order
    order = np.argsort(-scores, kind="stable")[:2].tolist()
    return " ".join(f"{cands[i][1]} [{cands[i][0]}]" if cands[i][0] else cands[i][1]
                    for i in order)


def _sections(text: str, title: str) -> list[tuple[str, str]]:
    """(heading, sentence) pairs: each sentence with the markdown heading above it."""
    from local_bedrock.text.responder import sentences

    out = []
    heading = title
    for block in re.split(r"\n(?=#{1,6}\s)", text):
        m = re.match(r"#{1,6}\s+(.+)", block)
        if m:
            heading = f"{title} - {m.group(1).strip()}" if title else m.group(1).strip()
            block = block[m.end():]
        for piece in re.split(r"\n(?=\|)", block):  # table rows are answers on their own
            if re.fullmatch(r"\s*\|[\s|:-]*\|?\s*", piece):
                continue
            out += [(heading, " ".join(s.split())) for s in sentences(piece)
                    if not s.lstrip().startswith("#")]
    return out


def _best_sentences(text: str, question: str) -> str:
    from local_bedrock.text.responder import sentences

    cands = sentences(text)
    if not cands:
        return _short(text, 400)
    scores = _sentence_scores(question, cands)
    return " ".join(cands[i] for i in sorted(np.argsort(scores)[-2:].tolist()))


_ANSWER_TYPES = (  # (question pattern, what an answer sentence contains)
    (re.compile(r"^\s*how\s+(long|soon|often)\b", re.I),
     re.compile(r"\d[\d.,]*\s*(?:-\s*\d+\s*)?(?:business\s+|working\s+)?(?:seconds?|"
                r"minutes?|hours?|days?|weeks?|months?|years?)\b", re.I)),
    (re.compile(r"^\s*(how\s+(many|much|old|far|big|heavy)|what\s+(percent|price|amount|"
                r"cost))\b", re.I), re.compile(r"\d")),
    (re.compile(r"^\s*(when|what\s+(date|day|year|time))\b", re.I),
     re.compile(r"\b(?:\d{4}|january|february|march|april|may|june|july|august|september|"
                r"october|november|december|monday|tuesday|wednesday|thursday|friday)\b",
                re.I)),
)


def _sentence_scores(question: str, cands: list[str]) -> np.ndarray:
    """Cosine + word overlap; a question asking for a duration, a quantity or a date
    favours sentences that contain one."""
    vecs = embeddings.embed([question] + cands)
    cos = vecs[1:] @ vecs[0]
    qw = _content_words(question)
    lex = np.array([len(qw & _content_words(c)) / (len(qw) or 1) for c in cands])
    bonus = np.zeros(len(cands))
    codes = {w for w in _WORD.findall(question.lower()) if re.search(r"\d", w)
             and re.search(r"[a-z]", w)}  # E22, v3, kp-205: exact identifiers
    if codes:  # the rarer an identifier among the candidates, the more its match counts
        words = [set(_WORD.findall(c.lower())) for c in cands]
        df = {code: sum(code in w for w in words) for code in codes}
        bonus += 0.5 * np.array([max([1 / df[code] for code in codes & w] or [0.0])
                                 for w in words])
    for asks, answer in _ANSWER_TYPES:
        if asks.search(question):
            bonus += 0.2 * np.array([answer.search(c) is not None for c in cands], dtype=float)
            break
    return 0.6 * cos + 0.4 * lex + bonus
