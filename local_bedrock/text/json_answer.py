"""JSON asked, JSON given: the offline engine's answer when a prompt asks for JSON.

What it answers with depends on how the keys are asked for, first match wins:

1. a JSON Schema: Converse `outputConfig.textFormat` (`req.json_schema`), else the last JSON
   Schema written in the prompt (an object with "properties", or an array of such objects);
2. a JSON template in the prompt: `Return JSON: {"name": ..., "age": 0}` or `[{...}]`;
   placeholder values are read as types ("string", 0, [..], "YYYY-MM-DD", "a|b|c" as an enum);
3. named keys: "as a JSON object with keys name, age and email", "with fields a, b, c",
   "with the properties `a` and `b`", "keys: a, b" (an optional type in brackets,
   "age (integer)", is honoured); "a JSON array of objects with keys ..." (or a prefill `[`)
   gives a list with one object per record of the text;
4. otherwise the responder's previous behaviour: `{"answer": "[local engine] ..."}`.

For named keys and templates the engine builds a JSON Schema itself, inferring simple types
from the key names: `age`, `quantity` -> integer; `total`, `price`, `amount` -> number;
`email` -> string (an email address); `order_date` -> string (an ISO date); `is_paid` ->
boolean; plural keys (`items`, `emails`, `skills`) -> arrays.

Values are extracted from the text the prompt is about (its tagged input, its "Text:" part,
else the prompt minus its instructions): first a labelled value ("Total: $45.20", "the
city is Lyon"), then typed extraction, with the same argument filler tool use uses
(`tools.fill_arguments`: numbers next to their names, emails, ISO dates, ids, booleans, enum
values) and a few extractors of its own (dates written in words, phones, names of people,
places, companies and products by their cue words, amounts by their currency sign).
Keys that are the engine's own computation keep it: a category among the prompt's labels
(the classifier), sentiment, confidence, keywords/tags, and summary-like text (marked
"[local engine]").

Honesty: a key the engine cannot fill from the text is `null` (the JSON stays valid and
the key is present, so the caller sees exactly which keys were not found). With the caller's
own schema null is used only where the schema allows it; an optional key it cannot fill is
left out, and a required non-null key gets a placeholder: a string marked "[local engine]",
the middle of a number's range, or for a format or pattern a value that says "nothing here"
(unknown@example.invalid, 1970-01-01, ORD-00000 for ^ORD-\\d{5}$). Every value is checked
against its schema (extracted values that break it are not used), so, like Bedrock's
structured output, the answer validates (the one exception: a required pattern too complex
for the engine to build a matching string for).
"""

from __future__ import annotations

import calendar
import json
import random
import re
from typing import Any

from local_bedrock.text import responder as R
from local_bedrock.text import tools
from local_bedrock.text.types import GenerationRequest

MARKER = R.MARKER

# ======================================================================= finding the schema


def answer(req: GenerationRequest, question: str, labels: list[str], full: str,
           rng: random.Random | None, prefill: str = "") -> str | None:
    """The JSON text for a request that asks for JSON, or None when it names no keys."""
    instructions = R._DOC_TAG.sub(" ", "\n".join([req.system, question]))
    found = find_schema(req, "\n".join([req.system, question]), instructions, prefill)
    if found is None:
        return None
    schema, built = found
    target = target_text(question)
    ctx = _Ctx(req=req, question=question, full=full or question, labels=labels, rng=rng,
               root=schema, built=built, target=target)
    value = ctx.fill_root(schema)
    head = prefill.lstrip()[:1]
    if head == "[" and isinstance(value, dict):  # the caller opened a list: one record
        value = [value]
    elif head == "{" and isinstance(value, list):  # the caller opened an object
        value = value[0] if value and isinstance(value[0], dict) else {}
    return json.dumps(value)


def find_schema(req: GenerationRequest, text: str, instructions: str,
                prefill: str = "") -> tuple[dict, bool] | None:
    """(schema, built by the engine?) for the keys the request asks for, or None."""
    if isinstance(req.json_schema, dict) and _is_schema(req.json_schema):
        return req.json_schema, False
    schema = schema_in_prompt(text)
    if schema is not None:
        return schema, False
    wants_list = prefill.lstrip().startswith("[") or re.search(
        r"\b(?:json\s+)?(?:array|list)\s+of\s+(?:json\s+)?(?:objects|records|entries|items|"
        r"people|persons|orders|tickets|\w+s\b)|\bone\s+(?:json\s+)?object\s+(?:per|for each)\b",
        instructions, re.I) is not None
    template = template_in_prompt(instructions)
    if template is not None:
        schema = _schema_from_template(template)
        if wants_list and schema.get("type") == "object":
            schema = {"type": "array", "items": schema}
        return schema, True
    keys = named_keys(instructions) or _quoted_keys(instructions)
    if not keys:
        return None
    item = {"type": "object", "properties": {k: _infer(k, t) for k, t in keys},
            "required": [k for k, _ in keys]}
    return ({"type": "array", "items": item} if wants_list else item), True


def _is_schema(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    props = obj.get("properties")
    if isinstance(props, dict) and props and all(isinstance(v, dict) for v in props.values()):
        return True
    items = obj.get("items")
    return obj.get("type") == "array" and isinstance(items, dict) and _is_schema(items)


def schema_in_prompt(text: str) -> dict | None:
    """The last JSON Schema written in the prompt (an object whose "properties" are all
    objects, or an array schema of such objects); the last, because format instructions
    show an example schema first."""
    decoder, found, end = json.JSONDecoder(), None, 0
    for n, m in enumerate(re.finditer(r"\{\s*\"", text)):
        if n >= 200:
            break
        if m.start() < end:
            continue
        try:
            obj, stop = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if _is_schema(obj):
            found, end = obj, stop
    return found


# ----------------------------------------------------------------------- templates


class _Placeholder(str):
    """A template value that is not JSON (`...`, `<name>`, `string`): a type hint."""


def template_in_prompt(text: str) -> Any | None:
    """The last JSON template in the prompt, parsed leniently: {"name": ..., "age": 0}."""
    found = None
    for m in re.finditer(r"(\[\s*)?\{\s*[\"'`]?[A-Za-z_][\w -]{0,40}[\"'`]?\s*:", text):
        try:
            value, _ = _Lenient(text, m.start()).parse()
        except ValueError:
            continue
        obj = value[0] if isinstance(value, list) and value else value
        if isinstance(obj, dict) and obj and not _is_schema(obj):
            found = value
    return found


class _Lenient:
    """A forgiving JSON reader: bare keys, single quotes, `...` and `<...>` placeholders."""

    def __init__(self, text: str, pos: int):
        self.s, self.i = text, pos

    def parse(self) -> tuple[Any, int]:
        value = self.value()
        return value, self.i

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def value(self) -> Any:
        self.ws()
        if self.i >= len(self.s):
            raise ValueError("end")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'":
            return self.string()
        m = re.compile(r"-?\d+(?:\.\d+)?(?![\w.])").match(self.s, self.i)
        if m:
            self.i = m.end()
            return json.loads(m.group(0))
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(lit, self.i) and not self.s[self.i + len(lit):][:1].isalnum():
                self.i += len(lit)
                return val
        m = re.compile(r"[^,}\]\n]{1,80}").match(self.s, self.i)
        if not m:
            raise ValueError("value")
        self.i = m.end()
        return _Placeholder(m.group(0).strip())

    def string(self) -> str:
        q = self.s[self.i]
        m = re.compile(rf"{q}((?:[^{q}\\\n]|\\.)*){q}").match(self.s, self.i)
        if not m:
            raise ValueError("string")
        self.i = m.end()
        try:
            return json.loads(f'"{m.group(1)}"') if q == '"' else m.group(1)
        except ValueError:
            return m.group(1)

    def key(self) -> str:
        self.ws()
        if self.i < len(self.s) and self.s[self.i] in "\"'`":
            q = self.s[self.i]
            end = self.s.find(q, self.i + 1)
            if end < 0:
                raise ValueError("key")
            k, self.i = self.s[self.i + 1:end], end + 1
        else:
            m = re.compile(r"[A-Za-z_][\w]*").match(self.s, self.i)
            if not m:
                raise ValueError("key")
            k, self.i = m.group(0), m.end()
        if not re.fullmatch(r"[A-Za-z_][\w -]{0,40}", k):
            raise ValueError("key")
        return k

    def obj(self) -> dict:
        self.i += 1
        out: dict = {}
        while True:
            self.ws()
            if self.s.startswith("}", self.i):
                self.i += 1
                return out
            if self.s.startswith(("...", "\u2026"), self.i):
                self.i += 3 if self.s.startswith("...", self.i) else 1
                continue
            k = self.key()
            self.ws()
            if not self.s.startswith(":", self.i):
                raise ValueError(":")
            self.i += 1
            out[k] = self.value()
            self.ws()
            if self.s.startswith(",", self.i):
                self.i += 1
            elif not self.s.startswith("}", self.i):
                raise ValueError("}")

    def arr(self) -> list:
        self.i += 1
        out: list = []
        while True:
            self.ws()
            if self.s.startswith("]", self.i):
                self.i += 1
                return out
            if self.s.startswith(("...", "\u2026"), self.i):
                self.i += 3 if self.s.startswith("...", self.i) else 1
            else:
                out.append(self.value())
            self.ws()
            if self.s.startswith(",", self.i):
                self.i += 1
            elif not self.s.startswith("]", self.i):
                raise ValueError("]")


_TYPE_WORDS = {"string": "string", "str": "string", "text": "string", "number": "number",
               "float": "number", "decimal": "number", "double": "number", "integer": "integer",
               "int": "integer", "boolean": "boolean", "bool": "boolean", "date": "date",
               "array": "array", "list": "array", "object": "object", "email": "email"}


def _schema_from_template(value: Any, key: str = "") -> dict:
    if isinstance(value, dict):
        props = {k: _schema_from_template(v, k) for k, v in value.items()}
        return {"type": "object", "properties": props, "required": list(props)}
    if isinstance(value, list):
        items = (_schema_from_template(value[0], _singular(key)) if value
                 else _infer(_singular(key), None))
        return {"type": ["array", "null"], "items": items}
    if isinstance(value, bool):
        return _infer(key, "boolean")
    if isinstance(value, int):
        return _infer(key, "integer")
    if isinstance(value, float):
        return _infer(key, "number")
    if isinstance(value, str):
        hint = value.strip(" <>{}()[]`'\"").lower()
        options = [o.strip() for o in re.split(r"\s*\|\s*|\s+or\s+|,\s*", hint) if o.strip()]
        if 2 <= len(options) <= 12 and all(re.fullmatch(r"[\w-]{1,30}", o) for o in options) \
                and not any(o in _TYPE_WORDS for o in options):
            return {"type": ["string", "null"], "enum": options + [None]}
        if re.search(r"yyyy|\bdate\b", hint):
            return _infer(key, "date")
        word = hint.split()[0] if hint.split() else ""
        return _infer(key, _TYPE_WORDS.get(word) or _TYPE_WORDS.get(hint))
    return _infer(key, None)


# ----------------------------------------------------------------------- named keys


_KEY_CUE = re.compile(
    r"\b(?:(?:with|having|containing|including|has)\s+(?:the\s+|these\s+|exactly\s+(?:the\s+)?"
    r"|only\s+(?:the\s+)?)?(?:following\s+)?(?:keys?|fields?|properties|attributes|columns)"
    r"|(?:keys?|fields?|properties|attributes|columns)\s*(?:named|called|:))"
    r"\s*(?:named|called)?\s*:?\s*", re.I)
_ITEM = re.compile(r"\s*(?:[\"'`](?P<q>[A-Za-z_][\w -]{0,40})[\"'`]|(?P<w>[A-Za-z_][\w]{0,40}))"
                   r"(?:\s*\((?P<t>[a-z ]{2,20})\)|\s*:\s*(?P<t2>string|number|integer|int|"
                   r"float|boolean|bool|date|array|list)\b)?", re.I)
_SEP = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s*/\s*|\s*;\s*|\s*\n\s*[-*\u2022]?\s*)",
                  re.I)
_NOT_KEY = set("""a an the and or only json object objects array list reply return respond
output nothing else no other from in of for with that which where each per as to is are
be value values their its it text this these those following""".split())


_LOOSE_CUE = re.compile(r"\bjson(?:\s+object)?\s+(?:with|containing|having|that\s+has)\s+"
                        r"(?:the\s+|only\s+)?|\b(?:extract|return|give|output|get|pull\s+out)"
                        r"\s+(?:me\s+)?(?:the\s+|only\s+)?", re.I)


def named_keys(text: str) -> list[tuple[str, str | None]]:
    """Keys named in phrases such as "with keys name, age and email" (with optional types),
    "a JSON object containing name, age and email", "extract name and age as JSON"."""
    out: list[tuple[str, str | None]] = []
    cues = [(m, False) for m in _KEY_CUE.finditer(text)]
    cues += [(m, True) for m in _LOOSE_CUE.finditer(text)]
    for m, loose in cues:
        pos, keys = m.end(), []
        # a bulleted list of fields ("- name: the full name") after the cue
        bullets = re.match(r"\s*((?:[ \t]*[-*\u2022][ \t]*[`'\"]?[A-Za-z_]\w*[`'\"]?[ \t]*"
                           r"(?:[:(\-][^\n]*)?\n?)+)", text[pos:])
        if bullets:
            for line in bullets.group(1).splitlines():
                b = re.match(r"[ \t]*[-*\u2022][ \t]*[`'\"]?([A-Za-z_]\w*)[`'\"]?[ \t]*"
                             r"(?:[:(\-][ \t]*\(?([^\n)]*))?", line)
                if b:
                    typ = (b.group(2) or "").strip().split(" ")[0].lower()
                    keys.append((b.group(1), _TYPE_WORDS.get(typ)))
        while not bullets:
            it = _ITEM.match(text, pos)
            if not it:
                break
            name = it.group("q") or it.group("w")
            if it.group("w") and name.lower() in _NOT_KEY:
                break
            typ = (it.group("t") or it.group("t2") or "").strip().lower()
            keys.append((re.sub(r"[\s-]+", "_", name.strip()), _TYPE_WORDS.get(typ.split(" ")[-1])
                         if typ else None))
            pos = it.end()
            sep = _SEP.match(text, pos)
            if not sep or "\n" in sep.group(0) and not re.search(r"[-*\u2022]", sep.group(0)):
                break
            pos = sep.end()
        if loose and (len(keys) < 2 or not re.match(
                r"\s*(?:\.|$|\n|(?:as|in|into)\s+(?:a\s+)?json|from\b|for\b|of\b)",
                text[pos:], re.I) or m.group(0).lower().startswith(("extract", "return", "give",
                                                                   "output", "get", "pull"))
                and not re.match(r"\s*(?:as|in|into)\s+(?:a\s+)?json", text[pos:], re.I)):
            continue
        for k in keys:
            if k[0] not in [o[0] for o in out]:
                out.append(k)
    return out


def _quoted_keys(text: str) -> list[tuple[str, str | None]]:
    """The previous discovery: `key` in backticks, and quoted names after "keys"/"fields"."""
    keys = re.findall(r"`([A-Za-z_][\w]{0,30})`", text)
    for phrase in re.findall(r"\b(?:keys?|fields?|properties)\b([^.\n]*)", text, re.I):
        keys += re.findall(r"[\"'`]([A-Za-z_]\w{0,30})[\"'`]", phrase)
    out: list[tuple[str, str | None]] = []
    for k in keys:
        if k.lower() not in ("json", "true", "false", "null") and k not in [o[0] for o in out]:
            out.append((k, None))
    return out


# ======================================================================= types from key names


def _words(key: str) -> list[str]:
    key = re.sub(r"([a-z])([A-Z])", r"\1 \2", key)
    return [w for w in re.split(r"[^a-zA-Z0-9]+", key.lower()) if w]


_PLURAL_NOT = {"status", "address", "business", "class", "news", "series", "species", "details",
               "notes", "instructions", "terms", "is", "has", "was", "days", "hours", "minutes",
               "seconds", "weeks", "months", "years", "nights", "guests", "people", "children",
               "adults", "stars", "units", "pieces", "seats", "rooms", "tickets", "points",
               "miles", "kilometers", "kilometres", "comments", "contents", "analysis",
               "diagnosis", "basis", "bonus", "campus", "virus", "alias", "gps", "sms"}
_COUNT_NOUNS = _PLURAL_NOT & {"days", "hours", "minutes", "seconds", "weeks", "months", "years",
                              "nights", "guests", "people", "children", "adults", "stars",
                              "units", "pieces", "seats", "rooms", "tickets", "points", "miles",
                              "kilometers", "kilometres"}
_KIND_WORDS = [  # (kind, key words); the first kind any word of the key names wins
    ("email", {"email", "mail"}),
    ("phone", {"phone", "telephone", "tel", "mobile", "cell"}),
    ("url", {"url", "website", "link", "homepage", "uri"}),
    ("date", {"date", "dob", "birthday", "birthdate", "deadline", "day"}),
    ("time", {"time"}),
    ("count", {"count", "quantity", "qty", "num"}),
    ("id", {"id", "ref", "reference", "sku", "code", "tracking", "number", "no", "iban"}),
    ("currency", {"currency"}),
    ("sentiment", {"sentiment", "tone", "mood"}),
    ("confidence", {"confidence", "probability", "score", "certainty"}),
    ("keywords", {"keywords", "keyword", "tags", "entities", "topics"}),
    ("money", {"total", "amount", "price", "cost", "subtotal", "tax", "fee", "fees", "balance",
               "refund", "salary", "payment", "charge", "budget", "revenue", "income", "spend",
               "spent", "paid", "due", "value", "owed"}),
    ("age", {"age"}),
    ("year", {"year"}),
    ("int", {"rating", "stars", "floor", "guests", "nights", "seats", "units", "pieces",
             "people", "adults", "children", "rooms", "tickets", "rank", "priority", "level",
             "severity_level", "page", "pages", "version"}),
    ("number", {"weight", "height", "distance", "temperature", "percent", "percentage", "rate",
                "discount", "duration", "days", "hours", "minutes", "weeks", "months", "years",
                "size", "length", "width", "volume", "speed", "latitude", "longitude", "miles",
                "points", "ratio", "share"}),
    ("category", {"category", "label", "class", "intent", "topic", "type", "team",
                  "department", "queue"}),
    ("text", {"summary", "answer", "reason", "explanation", "response", "text", "description",
              "issue", "problem", "message", "details", "note", "notes", "comment", "comments",
              "body", "content", "request", "complaint", "feedback", "reply", "question"}),
    ("org", {"company", "employer", "organization", "organisation", "org", "business", "vendor",
             "merchant", "store", "shop", "brand", "supplier", "airline", "bank", "hotel",
             "restaurant", "school", "university", "firm", "carrier", "manufacturer"}),
    ("place", {"city", "town", "location", "place", "country", "region", "state", "destination",
               "origin", "address", "venue", "where", "airport", "street", "residence",
               "hometown", "province", "county"}),
    ("product", {"product", "item", "model", "device", "service", "plan", "robot", "article",
                 "goods", "purchase"}),
    ("job", {"job", "role", "occupation", "profession", "position", "title"}),
    ("person", {"name", "customer", "person", "contact", "author", "sender", "recipient",
                "assignee", "reporter", "agent", "employee", "patient", "manager", "owner",
                "user", "client", "buyer", "seller", "passenger", "guest", "attendee", "member",
                "applicant", "candidate", "student", "teacher", "speaker", "requester",
                "requestor", "first", "last", "surname", "given", "family", "full", "who",
                "username", "participant", "traveler", "traveller", "signatory"}),
]
_BOOL_PREFIX = {"is", "has", "was", "are", "can", "should", "needs", "need", "requires", "did",
                "does", "will", "wants", "allow", "allows"}
_BOOL_WORDS = {"urgent", "paid", "refunded", "active", "verified", "subscribed", "vip", "escalate",
               "escalated", "resolved", "available", "approved", "cancelled", "canceled",
               "delivered", "shipped", "valid", "enabled", "married", "employed", "complete",
               "completed", "overdue", "confirmed", "flagged", "spam", "toxic"}
_TYPE_OF_KIND = {"email": "string", "phone": "string", "url": "string", "date": "string",
                 "time": "string", "id": "string", "currency": "string", "sentiment": "string",
                 "confidence": "number", "keywords": "array", "money": "number",
                 "age": "integer", "year": "integer", "count": "integer", "int": "integer",
                 "number": "number", "category": "string", "text": "string", "org": "string",
                 "place": "string", "product": "string", "job": "string", "person": "string",
                 "bool": "boolean", "other": "string"}
_DESCRIPTIONS = {  # words that name a value in text: what tools.fill_arguments looks next to
    "age": "age aged old years", "money": "amount total price cost paid pay charged due sum",
    "count": "quantity qty count units pieces items number", "year": "year in since",
    "int": "", "number": "",
}


def kind_of(key: str, parent: str = "") -> str:
    """What a key holds, from its name (`order_date` -> date, `is_paid` -> bool)."""
    words = _words(key)
    if not words:
        return "other"
    if words[0] in _BOOL_PREFIX and len(words) > 1 or set(words) & _BOOL_WORDS and len(words) == 1:
        return "bool"
    if words[:2] == ["number", "of"] or words[0] in ("num", "n", "total") and len(words) > 1 \
            and words[-1] not in ("amount", "price", "cost", "paid", "due"):
        return "count"
    if words == ["name"] and parent:  # product.name, company.name
        pk = kind_of(parent)
        if pk in ("org", "place", "product", "job"):
            return pk
    if words[-1] in ("name", "names") and len(words) > 1:
        for kind, names in _KIND_WORDS:
            if kind in ("org", "place", "product") and set(words[:-1]) & names:
                return kind
        return "person"
    for kind, names in _KIND_WORDS:
        if set(words) & names:
            return kind
    return "other"


def _singular(key: str) -> str:
    m = re.match(r"(.*?)(ies|sses|shes|ches|xes|s)$", key)
    if not m or key.lower() in _PLURAL_NOT or key.lower().endswith(("ss", "us", "is")):
        return key
    stem, suffix = m.groups()
    return stem + {"ies": "y", "sses": "ss", "shes": "sh", "ches": "ch", "xes": "x"}.get(suffix, "")


def is_plural(key: str) -> bool:
    words = _words(key)
    last = words[-1] if words else ""
    return (bool(last) and last.endswith("s") and last not in _PLURAL_NOT
            and not last.endswith(("ss", "us", "is")) and len(last) > 3
            and kind_of(key) not in ("keywords", "money", "text", "bool", "count"))


def _infer(key: str, typ: str | None, parent: str = "") -> dict:
    """A schema for a key the prompt names: its type from `typ` when given, else its name.
    Every built leaf allows null: null is how the engine says "not in the text"."""
    if typ == "array" or (typ is None and is_plural(key)):
        item = _infer(_singular(key), None, parent)
        item.pop("x-nullable", None)
        return {"type": ["array", "null"], "items": item, "x-kind": "list"}
    if typ == "object":
        return {"type": ["object", "null"], "properties": {}, "x-kind": "other"}
    kind = kind_of(key, parent)
    if typ == "date":
        kind = "date"
    elif typ == "email":
        kind = "email"
    elif typ == "boolean":
        kind = "bool"
    elif typ in ("integer", "number") and _TYPE_OF_KIND[kind] not in ("integer", "number"):
        kind = "int" if typ == "integer" else "number"
    base = typ if typ in ("string", "integer", "number", "boolean") else _TYPE_OF_KIND[kind]
    if kind in ("age", "count", "int", "year", "money", "number") and base == "string":
        kind = "other"
    spec: dict = {"type": [base, "null"], "x-kind": kind}
    if kind == "email":
        spec["format"] = "email"
    elif kind == "date":
        spec["format"] = "date"
    if _DESCRIPTIONS.get(kind):
        spec["description"] = _DESCRIPTIONS[kind]
    return spec


# ======================================================================= the text to read


_INPUT_CUE = re.compile(r"(?:^|(?<=[\s.:;!?]))(?:text|input|ticket|email|message|review|order|"
                        r"record|note|passage|document|content|data|invoice|receipt|profile|"
                        r"bio|description|customer message|support ticket|sentence)\s*:\s*",
                        re.I)
_INSTRUCTION = re.compile(r"\bjson\b|\bkeys?\b|\bfields?\b|\bschema\b|\bextract\b|\breply\b|"
                          r"\breturn\b|\brespond\b|\boutput\b|\bformat\b|\bonly\b", re.I)


def target_text(question: str) -> str:
    """The text a JSON prompt is about: its tagged input, the part after "Text:" (or a
    similar label), the part after an instruction ending in a colon, else the prompt without
    its instruction sentences."""
    tagged = [(n, t) for n, t in re.findall(r"<(\w+)>(.*?)</\1>", question, re.S)
              if n.lower() not in R._NOT_INPUT]
    if tagged:
        return tagged[-1][1].strip()
    cues = [m for m in _INPUT_CUE.finditer(question)  # not a key in a list of fields
            if not re.search(r"(?:^|\n)[ \t]*[-*\u2022][ \t]*[`'\"]?$|[\"'`{,]\s*$",
                             question[:m.start()])]
    if cues:
        rest = question[cues[-1].end():] if len(cues) == 1 else question[cues[0].end():]
        return _strip_instructions(rest)
    m = re.search(r"(?:from|in|of|for)(?: (?:the|this) \w+)?\s*:\s*(?=\S)", question, re.I)
    if m and _INSTRUCTION.search(question[:m.start()]):
        return _strip_instructions(question[m.end():])
    return _strip_instructions(question)


def _strip_instructions(text: str) -> str:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    template = re.search(r"(?:\breturn|\breply|\brespond|\boutput|\bformat|\bjson)[^{\[\n]{0,40}"
                         r"[\[{].*$", text, re.I | re.S)
    if template and template.start() > 0:
        text = text[:template.start()]
    parts = R.sentences(text)
    kept = [p for p in parts if not _INSTRUCTION.search(p)]
    return " ".join(kept).strip() if kept else text.strip()


# ======================================================================= extraction

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RXS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(rf"\b(?P<mn>{_MONTH_RX})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
               re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mn>{_MONTH_RX})\.?,?\s+"
               rf"(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})\b"),
]
_TIME_RX = re.compile(r"\b\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)", re.I)
_PHONE_RX = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{6,18}\d(?![\w-])")
_URL_RX = re.compile(r"\bhttps?://[^\s\"'<>]+|\bwww\.[^\s\"'<>]+", re.I)
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "dollar": "USD", "euro": "EUR",
             "pound": "GBP", "yen": "JPY"}
_CODE_RX = re.compile(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|INR|CNY|SEK|NOK|DKK|NZD|MXN|BRL)\b")
_CAP = r"(?:[A-Z][\w'\u2019-]*|(?:de|da|van|von|der|del|la|le|di|du|bin|al|St\.)(?=\s+[A-Z]))"
_CAP_RUN = re.compile(rf"(?<![\w@.-]){_CAP}(?:\s+{_CAP}){{0,4}}")
_NOT_NAME = set("""i i'm i've i'd hi hello hey dear thanks thank please regards best cheers the a
an my our your his her their this that these those it its we they he she you order orders
customer ticket invoice receipt email text input message note total subject re fw fwd yes no ok
json return reply extract today tomorrow yesterday mr mrs ms dr sir madam team support hello,
also and but so then when if after before on in at for from to with by of as is was""".split())
_DAYS = {d.lower() for d in calendar.day_name} | {d.lower() for d in calendar.day_abbr}
_ORG_SUFFIX = re.compile(r"\b(?:Inc|Ltd|LLC|Corp|Corporation|GmbH|SA|SAS|AG|PLC|Co|Company|"
                         r"Group|Labs|Bank|Airlines?|Hotels?|University|College)\.?$")
_PERSON_CUE = re.compile(r"(?:\bname\s+is|\bi\s+am|\bi'm|\bthis\s+is|\bfrom|\bby|\bcustomer|"
                         r"\bclient|\bmr\.?|\bms\.?|\bmrs\.?|\bdr\.?|\bsigned|\bregards,?|"
                         r"\bthanks,?|\bcontact|\bdear|\bhi|\bhello|\bpatient|\bguest|"
                         r"\bpassenger|\bcalled|\bnamed|\bassigned\s+to|\breported\s+by)\s*$",
                         re.I)
_PLACE_CUE = re.compile(r"(?:\bin|\blives\s+in|\bbased\s+in|\blocated\s+in|\bnear|\bto|\bcity\s+of|"
                        r"\bmoved\s+to|\bfrom|\bvia|\baddress|\bshipped\s+to|\bdeliver(?:ed)?\s+to"
                        r"|\bflying\s+to|\bflight\s+to|\btravel(?:ling)?\s+to)\s*$", re.I)
_ORG_CUE = re.compile(r"(?:\bworks?\s+(?:at|for)|\bworking\s+(?:at|for)|\bemployed\s+(?:at|by)|"
                      r"\bjoined|\bat|\bfor|\bwith|\bcompany|\bemployer|\bvendor|\bmerchant|"
                      r"\bbought\s+from|\bordered\s+from|\bstore)\s*$", re.I)
_PRODUCT_CUE = re.compile(r"(?:\bordered|\bbought|\bpurchased|\breturn(?:ed|ing)?|\breceived|"
                          r"\border\s+(?:of|for)|\bmy|\bthe|\bnew|\bproduct|\bitem|\bmodel|"
                          r"\bdevice|\babout|\bsubscribed\s+to|\bupgraded\s+to)"
                          r"(?:\s+(?:a|an|the|\d+|two|three))?\s*$", re.I)


def find_dates(text: str) -> list[tuple[str, int, int]]:
    """Dates in text as (ISO date when complete, start, end), in order."""
    out = []
    for rx in _DATE_RXS:
        for m in rx.finditer(text):
            if any(s <= m.start() < e for _, s, e in out):
                continue
            g = m.groupdict()
            y = int(g["y"])
            if g.get("mn"):
                mo, d = _MONTHS[g["mn"].lower().rstrip(".")], int(g["d"])
            elif g.get("a"):
                a, b = int(g["a"]), int(g["b"])
                mo, d = (b, a) if a > 12 or "." in m.group(0) else (a, b)
            else:
                mo, d = int(g["m"]), int(g["d"])
            iso = f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else m.group(0)
            out.append((iso, m.start(), m.end()))
    return sorted(out, key=lambda t: t[1])


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _cap_runs(text: str) -> list[tuple[str, int, int]]:
    """Capitalised word runs (names of people, places, companies, products) with offsets."""
    out = []
    for m in _CAP_RUN.finditer(text):
        words = m.group(0).split()
        start = m.start()
        while words and (words[0].lower().strip(",.") in _NOT_NAME or words[0].lower() in _DAYS
                         or words[0].lower().rstrip(".") in _MONTHS):
            start += len(words[0]) + (len(m.group(0)[len(words[0]):]) - len(
                m.group(0)[len(words[0]):].lstrip()))
            words = words[1:]
            start = m.start() + m.group(0).find(words[0]) if words else start
        while words and (words[-1].lower() in _NOT_NAME or words[-1].lower() in _DAYS
                         or words[-1].lower().rstrip(".") in _MONTHS
                         or words[-1].lower() in ("de", "van", "von", "la", "le")):
            words = words[:-1]
        if not words or any(re.search(r"\d", w) for w in words) or words[0].isupper() \
                and len(words) == 1 and len(words[0]) <= 4:
            continue
        phrase = re.sub(r"['\u2019]s$", "", " ".join(words).rstrip(",."))
        if phrase:
            out.append((phrase, start, start + len(phrase)))
    return out


def _labelled(key: str, text: str) -> str | None:
    """A value the text labels with the key's words: "Order ID: ORD-1", "the city is Lyon"."""
    words = [re.escape(w) for w in _words(key)]
    if not words:
        return None
    name = r"[\s_-]*".join(words)
    rx = re.compile(rf"(?<![\w-]){name}(?:e?s)?(?![\w-])\s*(?:[:=#]\s*|-\s+|\s+(?:is|was|are|were|"
                    rf"of|=)\s+)(?P<v>[^\n,;]+?)(?=\s*(?:[,;\n]|\.(?:\s|$)|$|\s+and\s+(?:the|"
                    rf"her|his|their|my|its)?\s*[a-z_]+\s*(?:is|was|:)))", re.I)
    m = rx.search(text)
    if not m:
        return None
    value = m.group("v").strip().strip("\"'`")
    return value or None


class _Ctx:
    """One JSON answer: the request, the schema, and what has been taken from the text."""

    def __init__(self, req, question, full, labels, rng, root, built, target):
        self.req, self.question, self.full, self.labels, self.rng = req, question, full, labels, rng
        self.root, self.built, self.target = root, built, target
        self.confidence: float | None = None

    # -- schema plumbing ------------------------------------------------------------------
    def resolve(self, spec: dict) -> dict:
        spec = spec if isinstance(spec, dict) else {}
        ref = spec.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = self.root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            spec = {**target, **{k: v for k, v in spec.items() if k != "$ref"}}
        for combo in ("anyOf", "oneOf", "allOf"):
            opts = spec.get(combo) or []
            options = [o for o in opts if isinstance(o, dict) and o.get("type") != "null"]
            if options:
                nullable = len(options) < len(opts)
                merged = {**self.resolve(options[0]),
                          **{k: v for k, v in spec.items() if k != combo}}
                if nullable:
                    merged["x-nullable"] = True
                return merged
        return spec

    @staticmethod
    def nullable(spec: dict) -> bool:
        kind = spec.get("type")
        return bool(spec.get("x-nullable") or spec.get("nullable")
                    or isinstance(kind, list) and "null" in kind
                    or (spec.get("enum") and None in spec["enum"]))

    @staticmethod
    def type_of(spec: dict) -> str:
        kind = spec.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if not kind:
            return "object" if "properties" in spec else "array" if "items" in spec else "string"
        return kind

    # -- filling --------------------------------------------------------------------------
    def fill_root(self, schema: dict) -> Any:
        spec = self.resolve(schema)
        if self.type_of(spec) == "array":
            return self.records(spec, self.target)
        return self.obj(spec, self.target, "")

    def obj(self, spec: dict, text: str, parent: str) -> dict:
        props = {k: self.resolve(v) for k, v in (spec.get("properties") or {}).items()}
        required = set(spec.get("required") or (props if self.built else []))
        found = self.extract(props, text, parent)
        order = sorted(props, key=lambda k: "enum" not in props[k])  # labels before confidence
        out: dict = {}
        for k in order:
            sub = props[k]
            if k in found and self.valid(sub, found[k]):
                out[k] = found[k]
                continue
            value = self.fallback(k, sub, text, parent)
            if value is _OMIT and not (k in required or self.built):
                continue
            if value is _OMIT or not self.valid(sub, value):
                value = self.placeholder(k, sub, text)
            out[k] = value
        return {k: out[k] for k in props if k in out}

    def records(self, spec: dict, text: str) -> list:
        items = self.resolve(spec.get("items") or {"type": "string"})
        if self.type_of(items) != "object":
            value = self.leaf_list("items", spec, text, "")
            return self.sized(spec, value if value is not None else [], text)
        props = {k: self.resolve(v) for k, v in (items.get("properties") or {}).items()}
        anchors = [k for k in props if self.kind(k, props[k], "") not in _COMPUTED]
        pieces = [m for m in re.finditer(r"[^\n;.,]+(?:\.\d+[^\n;.,]*)*", text) if m.group(0).strip()]
        starts: list[int] = []
        for m in pieces:
            piece = m.group(0)
            anchor = anchors[0] if anchors else None
            if anchor and self.extract({anchor: props[anchor]}, piece, "", strict=True):
                starts.append(m.start())
        out = []
        if not starts:
            if self.extract(props, text, ""):
                out.append(self.obj(items, text, ""))
            return self.sized(spec, out, text)
        bounds = [0 if i == 0 else s for i, s in enumerate(starts)] + [len(text)]
        for s, e in zip(bounds, bounds[1:], strict=False):
            out.append(self.obj(items, text[s:e], ""))
        return self.sized(spec, out, text)

    def sized(self, spec: dict, values: list, text: str) -> list:
        """A list cut to maxItems and, when minItems asks for more, padded with placeholders."""
        items = self.resolve(spec.get("items") or {"type": "string"})
        values = [v for v in values if self.valid(items, v)]
        hi = spec.get("maxItems")
        values = values[:hi] if hi is not None else values
        while len(values) < spec.get("minItems", 0):
            values.append(self.obj(items, "", "") if self.type_of(items) == "object"
                          else self.fallback_or_placeholder("item", items, text))
        return values

    def valid(self, spec: dict, value: Any) -> bool:
        """Whether a value validates against a (sub)schema; $refs resolve against the root."""
        clean = {k: v for k, v in spec.items() if not k.startswith("x-")}
        for defs in ("$defs", "definitions"):
            if isinstance(self.root, dict) and defs in self.root:
                clean.setdefault(defs, self.root[defs])
        if spec.get("x-nullable") and value is None:
            return True
        try:
            return not tools._validate(clean, value)
        except Exception:  # an unresolvable reference: nothing to check against
            return True

    def fallback_or_placeholder(self, key: str, spec: dict, text: str) -> Any:
        value = self.fallback(key, spec, text, "")
        if value is _OMIT or (value is None and not self.nullable(spec)):
            value = self.placeholder(key, spec, text)
        return value

    def kind(self, key: str, spec: dict, parent: str) -> str:
        if spec.get("x-kind"):
            return spec["x-kind"]
        kind = kind_of(key, parent)
        t = self.type_of(spec)
        if spec.get("format") in ("email", "date", "date-time"):
            return "email" if spec["format"] == "email" else "date"
        if t == "array":
            return "list"
        if t == "object":
            return "object"
        if t == "boolean":
            return "bool"
        if t in ("integer", "number") and _TYPE_OF_KIND.get(kind) not in ("integer", "number"):
            return "int" if t == "integer" else "number"
        if t == "string" and _TYPE_OF_KIND.get(kind) in ("integer", "number", "boolean"):
            return "other"
        return kind

    def extract(self, props: dict, text: str, parent: str, strict: bool = False) -> dict:
        """Values the text gives for these keys (a key it does not give is absent)."""
        out: dict = {}
        if not text.strip():
            return out
        kinds = {k: self.kind(k, s, parent) for k, s in props.items()}
        used: set[str] = set()
        taken: list[tuple[int, int]] = []
        # 1. labelled values, then precise patterns
        for k, s in props.items():
            if "enum" in s or "const" in s or kinds[k] in _COMPUTED or kinds[k] in ("object", "list"):
                continue
            raw = _labelled(k, text)
            if raw is not None:
                value = self.coerce(kinds[k], s, raw)
                if value is not None:
                    out[k] = value
                    if isinstance(value, str):
                        used.add(value)
                    pos = text.find(raw)
                    if pos >= 0:
                        taken.append((pos, pos + len(raw)))
        dates = find_dates(text)
        spans = [(s, e) for _, s, e in dates] + [m.span() for m in _TIME_RX.finditer(text)]
        spans += [m.span() for m in tools._EMAIL.finditer(text)]
        spans += [m.span() for m in _URL_RX.finditer(text)]
        phones = [m for m in _PHONE_RX.finditer(_mask(text, spans))
                  if len(re.sub(r"\D", "", m.group(0))) >= 7 and not re.fullmatch(r"[\d.,]+",
                                                                                   m.group(0))]
        spans += [m.span() for m in phones]
        ids = [m for m in tools._ID.finditer(_mask(text, spans))
               if not re.fullmatch(r"\d+(?:-[a-z]+)+", m.group(0))]  # 38-year-old, 3-day
        ids += [m for m in re.finditer(r"#\s?(\d{2,})", text)]
        for k, s in props.items():
            if k in out or "enum" in s or "const" in s:
                continue
            kind, value = kinds[k], None
            if s.get("pattern"):
                found = tools._pattern_matches(s["pattern"], text)
                value = next((f for f in found if f not in used), None)
            elif kind == "email":
                value = next((e for e in tools._EMAIL.findall(text) if e not in used), None)
            elif kind == "phone":
                value = next((p.group(0).strip() for p in phones if p.group(0).strip() not in used),
                             None)
            elif kind == "url":
                value = next((u.rstrip(".,)") for u in _URL_RX.findall(text)), None)
            elif kind == "date":
                value = self._near(k, [(d, s_, e_) for d, s_, e_ in dates if d not in used], text)
            elif kind == "time":
                value = next((t.group(0) for t in _TIME_RX.finditer(text)), None)
            elif kind == "id":
                cands = [(m.group(1) if m.re.pattern.startswith("#") else m.group(0), m.start(),
                          m.end()) for m in ids]
                value = self._near(k, [c for c in cands if c[0] not in used], text)
            elif kind == "currency":
                code = _CODE_RX.search(text)
                sym = re.search(r"[$€£¥]|\b(dollar|euro|pound|yen)s?\b", text, re.I)
                value = code.group(1) if code else (_CURRENCY[sym.group(1).lower() if sym.group(1)
                                                              else sym.group(0)] if sym else None)
            if value is not None:
                out[k] = value
                used.add(value)
        # 2. numbers: the tool-argument filler for numbers next to their names, then by cue
        masked = _mask(text, spans + [m.span() for m in ids] + taken)
        self.numbers(props, kinds, masked, out)
        # 3. booleans named in the text (the filler's word search, negation included)
        bools = {k: s for k, s in props.items() if kinds[k] == "bool" and k not in out}
        if bools:
            words = {k: " ".join(w for w in _words(k) if w not in _BOOL_PREFIX) or k for k in bools}
            filled = tools.fill_arguments(
                {"type": "object", "properties": {words[k]: {"type": "boolean"} for k in bools}},
                text)
            for k in bools:
                if words[k] in filled.value:
                    out[k] = filled.value[words[k]]
        # 4. names of people, places, companies, products; job titles; lists
        self.names(props, kinds, text, out, used, taken, strict)
        for k, s in props.items():
            if k in out or "enum" in s:
                continue
            if kinds[k] == "job":
                m = re.search(r"\b(?:works?|working|employed)\s+as\s+(?:an?\s+)?([a-z][a-z -]{2,40}?)"
                              r"(?=\s+(?:at|in|for|with|and|who|since)\b|[,.;]|$)|\bis\s+an?\s+"
                              r"([a-z][a-z -]{2,30}?)\s+(?:at|in|for|with)\s+[A-Z]", text)
                if m:
                    out[k] = (m.group(1) or m.group(2)).strip()
            elif kinds[k] == "list" and not strict:
                value = self.leaf_list(k, s, text, parent)
                if value:
                    out[k] = self.sized(s, value, text)
            elif kinds[k] == "object" and not strict:
                sub = self.obj(s, text, k)
                if any(v is not None for v in sub.values()):
                    out[k] = sub
        # 5. an enum value the text names, for keys that are not the engine's classification
        for k, s in props.items():
            if k in out or "enum" not in s or kinds[k] in ("category", "sentiment"):
                continue
            values = [v for v in s["enum"] if v is not None]
            hits = tools._enum_hits(values, s.get("description", ""), text)
            if hits:
                out[k] = hits[0][0]
        return out

    def _near(self, key: str, cands: list[tuple[str, int, int]], text: str) -> str | None:
        """The candidate nearest after the key's qualifier word ("order ORD-1"), else the
        first one."""
        if not cands:
            return None
        quals = [w for w in _words(key) if w not in ("id", "date", "number", "no", "ref", "code")]
        for w in quals:
            for q in re.finditer(rf"\b{re.escape(w[:5])}\w*", text, re.I):
                after = [c for c in cands if 0 <= c[1] - q.end() <= 30]
                if after:
                    return after[0][0]
        return cands[0][0]

    def numbers(self, props: dict, kinds: dict, masked: str, out: dict) -> None:
        keys = [k for k in props if k not in out and "enum" not in props[k]
                and kinds[k] in ("money", "age", "year", "count", "int", "number")]
        if not keys:
            return
        schema = {"type": "object", "properties": {
            k: {"type": "integer" if _TYPE_OF_KIND[kinds[k]] == "integer" else "number",
                "description": _DESCRIPTIONS.get(kinds[k], ""),
                **{b: props[k][b] for b in ("minimum", "maximum") if b in props[k]}}
            for k in keys}}
        nums = tools._numbers(masked)
        used: set[int] = set()
        for k in keys:  # numbers next to their names: the tool-argument filler, key by key
            money = _is_money_key(kinds[k])
            marked = [n for n in nums if _money_number(n, masked)]
            blank = [(n[1], n[1] + len(n[2])) for n in nums if n[1] in used
                     or (money and marked and n not in marked) or (not money and n in marked)]
            sub = {"type": "object", "properties": {k: schema["properties"][k]}}
            filled = tools.fill_arguments(sub, _mask(masked, blank))
            if k in filled.value:
                v = filled.value[k]
                n = next((n for n in nums if n[1] not in used and abs(n[0] - v) < 1e-9), None)
                if n is not None:
                    used.add(n[1])
                out[k] = v
        pairs = []
        for i, k in enumerate(keys):
            if k in out:
                continue
            sub = schema["properties"][k]
            for n in nums:
                if n[1] in used:
                    continue
                score = _number_score(kinds[k], n, masked, sub)
                if score is not None:
                    pairs.append((-score, i, n[1], k, n))
        for _, _, pos, k, n in sorted(pairs):
            if k in out or pos in used:
                continue
            used.add(pos)
            value = n[0]
            out[k] = int(round(value)) if schema["properties"][k]["type"] == "integer" else value

    def names(self, props: dict, kinds: dict, text: str, out: dict, used: set[str],
              taken: list[tuple[int, int]], strict: bool) -> None:
        keys = [k for k in props if k not in out and "enum" not in props[k]
                and kinds[k] in ("person", "place", "org", "product")]
        if not keys:
            return
        runs = [r for r in _cap_runs(text) if r[0] not in used
                and not any(s <= r[1] < e for s, e in taken)]
        runs += [(q, text.find(q), text.find(q) + len(q)) for q in tools._quoted(text)
                 if q not in used and len(q.split()) <= 6]
        pairs = []
        for i, k in enumerate(keys):
            for phrase, s, e in runs:
                score = _name_score(kinds[k], k, phrase, text[:s], text[e:], strict)
                if score is not None:
                    pairs.append((-score, i, s, k, phrase))
        assigned: set[str] = set()
        for _, _, _, k, phrase in sorted(pairs):
            if k in out or phrase in assigned:
                continue
            words = _words(k)
            if kinds[k] == "person" and ("first" in words or "given" in words):
                phrase = phrase.split()[0]
            elif kinds[k] == "person" and ("last" in words or "surname" in words
                                           or "family" in words) and len(phrase.split()) > 1:
                phrase = phrase.split(" ", 1)[1] if phrase.split()[0] not in ("de", "van") \
                    else phrase
                phrase = phrase.split()[-1] if len(phrase.split()) > 1 and phrase.split()[0] \
                    not in ("de", "van", "von", "da", "del", "le", "la") else phrase
            out[k] = phrase
            assigned.add(phrase)
            used.add(phrase)

    def leaf_list(self, key: str, spec: dict, text: str, parent: str) -> list | None:
        items = self.resolve(spec.get("items") or {"type": "string"})
        ikey = _singular(key)
        kind = self.kind(ikey, items, parent)
        if self.type_of(items) == "object":
            return self.records({"items": items}, text) or None
        if items.get("enum"):
            values = [v for v in items["enum"] if v is not None]
            return [h[0] for h in tools._enum_hits(values, items.get("description", ""), text)] \
                or None
        if kind == "email":
            return tools._EMAIL.findall(text) or None
        if kind == "date":
            return [d for d, _, _ in find_dates(text)] or None
        if kind == "phone":
            return [m.group(0).strip() for m in _PHONE_RX.finditer(text)
                    if len(re.sub(r"\D", "", m.group(0))) >= 7] or None
        if kind == "url":
            return [u.rstrip(".,)") for u in _URL_RX.findall(text)] or None
        if kind in ("money", "number", "int", "count", "age", "year"):
            nums = tools._numbers(_mask(text, [(s, e) for _, s, e in find_dates(text)]))
            return [int(n[0]) if self.type_of(items) == "integer" else n[0] for n in nums] or None
        if kind in ("person", "place", "org"):
            found = [r[0] for r in _cap_runs(text)
                     if _name_score(kind, ikey, r[0], text[:r[1]], text[r[2]:], False) is not None]
            return list(dict.fromkeys(found)) or None
        words = r"[\s_-]*".join(map(re.escape, _words(ikey)))
        raw = re.search(rf"(?<![\w-]){words}(?:e?s)?\s*(?::|=|\bare\b|\binclude[sd]?\b)\s*"
                        rf"([^\n.]+)", text, re.I)
        if raw:
            return _split_list(raw.group(1))
        m = re.search(r"\b(?:ordered|bought|purchased|returned|received|includes?|including|"
                      r"contains?|containing|speaks?|knows?|skilled\s+in|likes?)\s+([^\n.;:]+)",
                      text, re.I)
        if m:
            return _split_list(m.group(1))
        for sentence in R.sentences(text):  # "ORD-1: 2 lamps, a kettle and 3 mugs"
            m = re.search(r":\s*([^:]+)$", sentence)
            if m and re.search(r",|\band\b", m.group(1)):
                return _split_list(m.group(1))
        filled = tools.fill_arguments({"type": "object", "properties": {key: spec}}, text)
        return filled.value.get(key) or None

    def coerce(self, kind: str, spec: dict, raw: str) -> Any:
        t = self.type_of(spec)
        if t in ("integer", "number"):
            nums = tools._numbers(_mask(raw, [(s, e) for _, s, e in find_dates(raw)]))
            if not nums:
                return None
            v = nums[0][0]
            return int(round(v)) if t == "integer" else v
        if t == "boolean":
            low = raw.lower()
            return True if re.match(r"(yes|true|y)\b", low) else False if re.match(
                r"(no|false|n|none)\b", low) else None
        if t == "array":
            return _split_list(raw)
        if kind == "email":
            found = tools._EMAIL.findall(raw)
            return found[0] if found else None
        if kind == "date":
            found = find_dates(raw)
            return found[0][0] if found else raw
        if kind == "currency":
            code = _CODE_RX.search(raw)
            return code.group(1) if code else raw
        if spec.get("pattern"):
            found = tools._pattern_matches(spec["pattern"], raw)
            return found[0] if found else None
        return raw

    # -- what is not extracted ------------------------------------------------------------
    def fallback(self, key: str, spec: dict, text: str, parent: str) -> Any:
        """The engine's own value for a key (classification, sentiment, ...), else null
        when allowed, else _OMIT."""
        kind = self.kind(key, spec, parent)
        target = text or self.target
        t = self.type_of(spec)
        if "const" in spec:
            return spec["const"]
        if spec.get("enum"):
            options = [o for o in spec["enum"] if o is not None]
            if all(isinstance(o, str) for o in options) and len(options) > 1:
                _, scores, _ = R._label_scores(self.req, self.question, self.full, options)
                pick = R._pick(scores, self.req, self.rng)
                self.confidence = round(float(R._probs(scores, 1.0)[pick]), 2)
                return options[pick]
            return options[0] if options else None
        if t == "object" and not self.built:
            return self.obj(spec, text, key)
        if kind == "sentiment" and t == "string":
            return R._sentiment(target)
        if kind == "category" and self.labels and t == "string":
            return R._classify(self.question, self.full, self.labels, self.req, self.rng)
        if kind == "confidence" and t in ("number", "integer"):
            lo, hi = spec.get("minimum", 0), spec.get("maximum", 1)
            value = lo + (hi - lo) * (self.confidence if self.confidence is not None else 0.5)
            return int(round(value)) if t == "integer" else round(value, 2)
        if kind == "keywords" and t in ("array", "string"):
            words = R._keywords(target, 4)
            return words if t == "array" else ", ".join(words)
        if kind == "text" and t == "string":
            return self.placeholder(key, spec, target)
        if kind == "bool" and re.search(r"urgent|escalat|complain|angry|negative", key, re.I):
            return self.placeholder(key, spec, target)
        return None if self.nullable(spec) else _OMIT

    def placeholder(self, name: str, spec: dict, target: str) -> Any:
        """The previous stand-in value, for keys a schema requires and forbids null in."""
        kind, low = self.type_of(spec), name.lower()
        if kind == "array":
            items = self.resolve(spec.get("items") or {"type": "string"})
            if self.type_of(items) == "string" and not items.get("enum"):
                values = R._keywords(target, 4)
            else:
                values = [self.placeholder(name, items, target) if not items.get("enum")
                          else self.fallback(name, items, target, "")]
            lo, hi = spec.get("minItems", 0), spec.get("maxItems", len(values) or 1)
            values = values[:hi]
            while len(values) < lo:
                values.append(values[-1] if values else f"{MARKER} item")
            return values
        if kind == "object":
            return self.obj(spec, target, name)
        if kind in ("number", "integer"):
            lo = spec.get("minimum", spec.get("exclusiveMinimum"))
            hi = spec.get("maximum", spec.get("exclusiveMaximum"))
            if lo is None:  # a range around what is given: [0, 1] for numbers, [0, 5] integers
                lo = min(0, hi - 2) if hi is not None else 0
            if hi is None:
                hi = max(1 if kind == "number" else 5, lo + 2)
            if re.search(r"confidence|probab|score", low) and self.confidence is not None:
                value = lo + (hi - lo) * self.confidence
            else:
                value = (lo + hi) / 2
            return int(round(value)) if kind == "integer" else round(value, 2)
        if kind == "boolean":
            return bool(re.search(r"urgent|escalat|complain|angry|negative", low)) \
                and R._sentiment(target) == "negative"
        if kind == "null":
            return None
        if re.search(r"sentiment", low):
            value = R._sentiment(target)
        elif self.labels and re.search(r"categor|label|class|intent|topic", low):
            value = R._classify(self.question, self.full, self.labels, self.req, self.rng)
        elif re.search(r"summary|answer|reason|explanation|response|text|description|issue|"
                       r"problem|message|detail|note|comment|body|content", low):
            value = f"{MARKER} " + (R.sentences(target) or [target])[0][:200]
        else:
            value = f"{MARKER} value for {name or 'answer'}"
        shaped = _FORMAT_PLACEHOLDERS.get(spec.get("format", ""))
        if spec.get("pattern"):
            shaped = _from_pattern(spec["pattern"]) or shaped
        if shaped is not None:
            return shaped
        lo, hi = spec.get("minLength", 0), spec.get("maxLength")
        value = value[:hi] if hi else value
        return value + "." * max(0, lo - len(value))


_OMIT = object()
_FORMAT_PLACEHOLDERS = {  # required, non-null, not in the text: a value that says so
    "email": "unknown@example.invalid", "date": "1970-01-01", "date-time": "1970-01-01T00:00:00Z",
    "time": "00:00:00", "uri": "https://example.invalid/", "url": "https://example.invalid/",
    "uuid": "00000000-0000-0000-0000-000000000000", "ipv4": "0.0.0.0", "hostname": "example.invalid"}


def _from_pattern(pattern: str) -> str | None:
    """The simplest string a (simple) regular expression matches, e.g. ORD-00000; else None."""
    try:
        import re._parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as sre  # type: ignore[no-redef]

    def one_of(items) -> str:
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                return chr(av)
            if name == "RANGE":
                return chr(av[0])
            if name == "CATEGORY":
                return {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(
                    str(av), "x")
            if name == "NEGATE":
                return "x"
        return "x"

    def gen(items) -> str:
        out = []
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(av))
            elif name == "NOT_LITERAL":
                out.append("x" if chr(av) != "x" else "y")
            elif name == "ANY":
                out.append("x")
            elif name == "IN":
                out.append(one_of(av))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, _, sub = av
                out.append(gen(sub) * lo)
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                out.append(gen(av[-1]))
            elif name == "BRANCH":
                out.append(gen(av[1][0]))
            elif name != "AT":
                raise ValueError(name)
        return "".join(out)

    try:
        value = gen(sre.parse(pattern))
        return value if re.search(pattern, value) else None
    except Exception:
        return None
_COMPUTED = {"sentiment", "confidence", "keywords", "text", "category"}


def _split_list(raw: str) -> list[str]:
    items = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*;\s*|\s*/\s*", raw.strip().rstrip("."))
    out = []
    for i in items:
        i = re.sub(r"^(?:a|an|the|some)\s+", "", i.strip(" \"'`"), flags=re.I)
        if i:
            out.append(i)
    return out


def _is_money_key(kind: str) -> bool:
    return kind == "money"


def _money_number(n: tuple[float, int, str], text: str) -> bool:
    """A number written as an amount of money ($45.20, 45 EUR, €1,250)."""
    value, start, raw = n
    before = text[max(0, start - 3):start]
    after = text[start + len(raw):start + len(raw) + 10].lower()
    return bool(re.search(r"[$€£¥]", raw) or re.search(r"[$€£¥]\s*$", before)
                or re.match(r"\s*(?:usd|eur|gbp|chf|jpy|dollars?|euros?|pounds?)\b", after))


def _number_score(kind: str, n: tuple[float, int, str], text: str, spec: dict) -> float | None:
    """How well an unnamed number fits a key of this kind; None when it cannot."""
    value, start, raw = n
    if spec["type"] == "integer" and abs(value - round(value)) > 1e-9:
        return None
    lo, hi = spec.get("minimum"), spec.get("maximum")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return None
    before = text[max(0, start - 25):start].lower()
    after = text[start + len(raw):start + len(raw) + 25].lower()
    money = bool(re.search(r"[$€£¥]", raw) or re.search(r"[$€£¥]\s*$", before)
                 or re.match(r"\s*(?:usd|eur|gbp|dollars?|euros?|pounds?)\b", after))
    years_after = re.match(r"\s*(?:-\s*)?(?:years?|yrs?|yo)\b", after) is not None
    percent = "%" in raw or re.match(r"\s*(?:percent|per cent)", after) is not None
    score = 0.0
    if kind == "money":
        score += 2 if money else 1 if "." in raw else 0
        if years_after or percent:
            return None
    elif money:
        return None
    elif kind == "age":
        if years_after or re.search(r"\baged?\s*$", before):
            score += 3
        elif not 0 < value < 125:
            return None
        elif re.search(r"(?:\bis|,|\()\s*$", before):
            score += 1
    elif kind == "year":
        score += 3 if 1900 <= value <= 2100 else -5
    elif kind == "count":
        if re.match(r"\s*(?:x\b|[a-z]{3,})", after) and not years_after:
            score += 2
        if re.search(r"\bx\s*$|\bqty\s*$", before):
            score += 2
    elif kind == "number" and percent and re.search(r"rate|percent|discount|share", str(spec)):
        score += 2
    elif years_after:
        score -= 1
    return score if score >= 0 else None


def _name_score(kind: str, key: str, phrase: str, before: str, after: str,
                strict: bool) -> float | None:
    """How well a capitalised phrase fits a key of this kind (by the words around it)."""
    before, after = before[-30:], after[:30]
    org = _ORG_SUFFIX.search(phrase) is not None
    place_cue = _PLACE_CUE.search(before) is not None
    org_cue = _ORG_CUE.search(before) is not None
    person_cue = _PERSON_CUE.search(before) is not None
    score = 0.0
    if kind == "person":
        if org:
            return None
        if person_cue:
            score += 2
        if re.match(r"\s*(?:is|was|has|,\s*\d|\(\d|\s*<|said|wrote|ordered|bought|reported|"
                    r"called|asked|lives|works)\b", after):
            score += 1
        if len(phrase.split()) >= 2:
            score += 1
        if place_cue and not person_cue:
            score -= 2
        if org_cue and not person_cue:
            score -= 1
        if strict and score < 1:
            return None
        return score if score >= 0 else None
    if kind == "place":
        words = _words(key)
        if "destination" in words and re.search(r"\bto\s*$", before):
            score += 3
        elif "origin" in words and re.search(r"\bfrom\s*$", before):
            score += 3
        if place_cue:
            score += 2
        if org:
            return None
        return score if score >= 2 else None
    if kind == "org":
        if org:
            score += 3
        if org_cue:
            score += 2
        if place_cue and not org_cue:
            score -= 1
        return score if score >= 2 else None
    if kind == "product":
        if _PRODUCT_CUE.search(before):
            score += 2
        if org or place_cue or person_cue:
            score -= 2
        return score if score >= 2 else None
    return None
