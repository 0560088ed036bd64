"""ApplyGuardrail computed offline, and the helpers Converse needs for ``guardrailConfig``.

:func:`apply` evaluates ApplyGuardrail content blocks against a guardrail and returns the
ApplyGuardrail response dict (``usage``, ``action``, ``actionReason``, ``outputs``,
``assessments``, ``guardrailCoverage``). The guardrail may be given as GetGuardrail output (what
:mod:`local_bedrock.guardrails.store` returns) or as a CreateGuardrail request (``*PolicyConfig``
keys, e.g. ``07_guardrails/data/guardrail_config.json``).

Which content is evaluated (as in Bedrock):

* text blocks without qualifiers, or qualified ``guard_content``, are *guarded*: topic, content,
  word and sensitive-information policies run on them; with source INPUT a ``query`` block is
  guarded too (it is the user's question);
* ``grounding_source`` and ``query`` blocks feed the contextual grounding check, which runs on the
  guarded text of an OUTPUT evaluation (the model's answer) when both are present;
* the PROMPT_ATTACK filter only applies to INPUT; image blocks are counted in the coverage but not
  analysed.

How each policy is computed is documented in :mod:`.topics`, :mod:`.content`, :mod:`.pii` and
:mod:`.grounding`; word filters match configured words/phrases and the managed PROFANITY list
case-insensitively on word boundaries.

If any policy BLOCKs, ``outputs`` is the guardrail's blocked message for that source; if
policies only ANONYMIZE, ``outputs`` holds the guarded texts with each entity replaced by
``{TYPE}`` (or ``{regex name}``); with no intervention ``outputs`` is empty.
"""

from __future__ import annotations

import math
import re
import time
from functools import lru_cache

from local_bedrock.errors import validation
from local_bedrock.guardrails import content as content_filters
from local_bedrock.guardrails import grounding as grounding_check
from local_bedrock.guardrails import lexicon, pii, topics
from local_bedrock.guardrails.store import _validate_definition

SOURCES = ("INPUT", "OUTPUT")
QUALIFIERS = ("grounding_source", "query", "guard_content")
OUTPUT_SCOPES = ("INTERVENTIONS", "FULL")
_ACTION_PAST = {"BLOCK": "BLOCKED", "ANONYMIZE": "ANONYMIZED", "NONE": "NONE"}


# --------------------------------------------------------------------------- guardrail view

def _definition(guardrail: dict) -> dict:
    """GetGuardrail-shaped definition from either a Get response or a Create request."""
    if not isinstance(guardrail, dict):
        raise validation("The guardrail must be a dict.")
    if any(k.endswith("PolicyConfig") for k in guardrail):
        return {**_validate_definition(guardrail),
                **{k: guardrail[k] for k in ("guardrailId", "guardrailArn", "version") if k in guardrail}}
    return guardrail


def _enabled(item: dict, direction: str) -> bool:
    return item.get(f"{direction}Enabled", True) is not False


def _action(item: dict, direction: str, default: str = "BLOCK") -> str:
    return item.get(f"{direction}Action") or item.get("action") or default


@lru_cache(maxsize=1024)
def _word_regex(word: str) -> re.Pattern:
    parts = [re.escape(p) for p in word.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def _word_in(word: str, text: str, low: str) -> bool:
    """A cheap pre-check before the word's regex: its first part occurs in the lower-cased text
    (a long document is then scanned by ``str.__contains__``, not by a regex per word)."""
    first = word.split()[0].lower() if word.split() else ""
    return first in low if len(low) == len(text) else True


# --------------------------------------------------------------------------- request parsing

def _parse_contents(source: str, contents) -> tuple[list[str], list[str], list[str], int, int]:
    """(guarded texts, grounding sources, queries, total characters, image count)."""
    if source not in SOURCES:
        raise validation(f"1 validation error detected: Value '{source}' at 'source' failed to satisfy "
                         "constraint: Member must satisfy enum value set: [INPUT, OUTPUT]")
    if not isinstance(contents, list) or not contents:
        raise validation("1 validation error detected: Value at 'content' failed to satisfy "
                         "constraint: Member must not be null or empty")
    guarded, sources, queries = [], [], []
    total_chars = 0
    images = 0
    for i, block in enumerate(contents):
        if not isinstance(block, dict) or len(block) != 1:
            raise validation(f"content.{i + 1}: each content block must set exactly one of text, image.")
        if "image" in block:
            images += 1
            continue
        if "text" not in block:
            raise validation(f"content.{i + 1}: unsupported content block {sorted(block)}.")
        tb = block["text"]
        if not isinstance(tb, dict) or not isinstance(tb.get("text"), str):
            raise validation(f"content.{i + 1}.text.text is required and must be a string.")
        quals = tb.get("qualifiers") or []
        if not isinstance(quals, list) or any(q not in QUALIFIERS for q in quals):
            raise validation(f"content.{i + 1}.text.qualifiers must be a list of {', '.join(QUALIFIERS)}.")
        text = tb["text"]
        total_chars += len(text)
        if "grounding_source" in quals:
            sources.append(text)
        if "query" in quals:
            queries.append(text)
        if not quals or "guard_content" in quals or (source == "INPUT" and "query" in quals):
            guarded.append(text)
    return guarded, sources, queries, total_chars, images


def _text_units(chars: int) -> int:
    return math.ceil(chars / 1000) if chars > 0 else 0


# --------------------------------------------------------------------------- policy evaluation

def _all_topics(defin: dict) -> list[dict]:
    return list((defin.get("topicPolicy") or {}).get("topics", []))


def _eval_topics(defin: dict, texts: list[str], direction: str, full: bool) -> list[dict]:
    cfg = [t for t in _all_topics(defin) if _enabled(t, direction)]
    if not cfg:
        return []
    detected: dict[str, bool] = {t["name"]: False for t in cfg}
    for text in texts:
        for r in topics.score_topics(text, _all_topics(defin)):  # all: one shared classifier
            if r["detected"] and r["topic"]["name"] in detected:
                detected[r["topic"]["name"]] = True
    out = []
    for t in cfg:
        if detected[t["name"]]:
            out.append({"name": t["name"], "type": "DENY",
                        "action": "BLOCKED" if _action(t, direction) == "BLOCK" else "NONE",
                        "detected": True})
        elif full:
            out.append({"name": t["name"], "type": "DENY", "action": "NONE", "detected": False})
    return out


def _eval_content(defin: dict, texts: list[str], direction: str, full: bool) -> list[dict]:
    filters = []
    for f in (defin.get("contentPolicy") or {}).get("filters", []):
        strength = f.get(f"{direction}Strength", "NONE")
        if strength == "NONE" or not _enabled(f, direction):
            continue
        if f["type"] == "PROMPT_ATTACK" and direction != "input":
            continue
        filters.append((f, strength))
    if not filters:
        return []
    cats = tuple(f["type"] for f, _ in filters)
    best = {c: "NONE" for c in cats}
    key = topics.model_key(_all_topics(defin))
    for text in texts:
        for c, r in content_filters.score(text, cats, key).items():
            if content_filters.CONFIDENCE_RANK[r["confidence"]] > content_filters.CONFIDENCE_RANK[best[c]]:
                best[c] = r["confidence"]
    out = []
    for f, strength in filters:
        conf = best[f["type"]]
        hit = content_filters.blocks(conf, strength)
        if hit or full:
            out.append({"type": f["type"], "confidence": conf, "filterStrength": strength,
                        "action": "BLOCKED" if hit and _action(f, direction) == "BLOCK" else "NONE",
                        "detected": hit})
    return out


def _eval_words(defin: dict, texts: list[str], direction: str) -> tuple[list[dict], list[dict]]:
    wp = defin.get("wordPolicy") or {}
    lows = [t.lower() for t in texts]
    custom, managed = [], []
    seen_custom, seen_managed = set(), set()
    for w in wp.get("words", []):
        if not _enabled(w, direction):
            continue
        rx = _word_regex(w["text"].strip())
        if any(_word_in(w["text"], t, low) and rx.search(t) for t, low in zip(texts, lows)) \
                and w["text"] not in seen_custom:
            seen_custom.add(w["text"])
            custom.append({"match": w["text"],
                           "action": "BLOCKED" if _action(w, direction) == "BLOCK" else "NONE",
                           "detected": True})
    for m in wp.get("managedWordLists", []):
        if m.get("type") != "PROFANITY" or not _enabled(m, direction):
            continue
        for word in lexicon.PROFANITY:
            for t, low in zip(texts, lows):
                hit = _word_in(word, t, low) and _word_regex(word).search(t)
                if hit and hit.group(0).lower() not in seen_managed:
                    seen_managed.add(hit.group(0).lower())
                    managed.append({"match": hit.group(0), "type": "PROFANITY",
                                    "action": "BLOCKED" if _action(m, direction) == "BLOCK" else "NONE",
                                    "detected": True})
    return custom, managed


def _eval_sensitive(defin: dict, texts: list[str], direction: str):
    """(piiEntities, regexes, masked texts) for the sensitive-information policy."""
    sp = defin.get("sensitiveInformationPolicy") or {}
    entity_cfg = {e["type"]: e for e in sp.get("piiEntities", []) if _enabled(e, direction)}
    regex_cfg = [r for r in sp.get("regexes", []) if _enabled(r, direction)]
    pii_out, regex_out, masked = [], [], []
    for text in texts:
        spans = []  # (start, end, replacement)
        if entity_cfg:
            for m in pii.detect(text):
                cfg = entity_cfg.get(m.type)
                if cfg is None:
                    continue
                action = _action(cfg, direction, "NONE")
                pii_out.append({"match": m.text, "type": m.type, "action": _ACTION_PAST[action],
                                "detected": True})
                if action == "ANONYMIZE":
                    spans.append((m.start, m.end, "{" + m.type + "}"))
        for r in regex_cfg:
            action = _action(r, direction, "NONE")
            for m in re.finditer(r["pattern"], text):
                if m.end() == m.start():
                    continue
                regex_out.append({"name": r["name"], "match": m.group(0), "regex": r["pattern"],
                                  "action": _ACTION_PAST[action], "detected": True})
                if action == "ANONYMIZE":
                    spans.append((m.start(), m.end(), "{" + r["name"] + "}"))
        chosen: list[tuple[int, int, str]] = []
        for s in spans:  # PII first, then regexes; drop overlaps
            if all(s[1] <= c[0] or s[0] >= c[1] for c in chosen):
                chosen.append(s)
        out = text
        for start, end, rep in sorted(chosen, reverse=True):
            out = out[:start] + rep + out[end:]
        masked.append(out)
    return pii_out, regex_out, masked


def _eval_grounding(defin: dict, answer: str, sources: list[str], queries: list[str]) -> list[dict]:
    out = []
    for f in (defin.get("contextualGroundingPolicy") or {}).get("filters", []):
        if f.get("enabled") is False:
            continue
        if f["type"] == "GROUNDING":
            score = grounding_check.grounding_score(answer, sources)
        else:
            score = grounding_check.relevance_score(answer, queries)
        hit = score < f["threshold"]
        out.append({"type": f["type"], "threshold": f["threshold"], "score": score,
                    "action": "BLOCKED" if hit and f.get("action", "BLOCK") == "BLOCK" else "NONE",
                    "detected": hit})
    return out


# --------------------------------------------------------------------------- ApplyGuardrail

def apply(guardrail: dict, source: str, contents: list[dict], output_scope: str | None = None) -> dict:
    """Evaluate ApplyGuardrail ``content`` blocks; return the ApplyGuardrail response dict."""
    started = time.perf_counter()
    if output_scope is not None and output_scope not in OUTPUT_SCOPES:
        raise validation(f"1 validation error detected: Value '{output_scope}' at 'outputScope' failed "
                         "to satisfy constraint: Member must satisfy enum value set: [INTERVENTIONS, FULL]")
    full = output_scope == "FULL"
    defin = _definition(guardrail)
    guarded, sources, queries, total_chars, images = _parse_contents(source, contents)
    direction = source.lower()
    guarded_chars = sum(len(t) for t in guarded)
    text_units = sum(_text_units(len(t)) for t in guarded)

    assessment: dict = {}
    usage = {"topicPolicyUnits": 0, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
             "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
             "contextualGroundingPolicyUnits": 0, "contentPolicyImageUnits": 0,
             "automatedReasoningPolicyUnits": 0, "automatedReasoningPolicies": 0}

    if any(_enabled(t, direction) for t in (defin.get("topicPolicy") or {}).get("topics", [])):
        usage["topicPolicyUnits"] = text_units
        found = _eval_topics(defin, guarded, direction, full)
        if found:
            assessment["topicPolicy"] = {"topics": found}

    if any(f.get(f"{direction}Strength", "NONE") != "NONE" and _enabled(f, direction)
           for f in (defin.get("contentPolicy") or {}).get("filters", [])):
        usage["contentPolicyUnits"] = text_units
        found = _eval_content(defin, guarded, direction, full)
        if found:
            assessment["contentPolicy"] = {"filters": found}

    wp = defin.get("wordPolicy") or {}
    if any(_enabled(w, direction) for w in wp.get("words", []) + wp.get("managedWordLists", [])):
        usage["wordPolicyUnits"] = text_units
        custom, managed = _eval_words(defin, guarded, direction)
        if custom or managed:
            assessment["wordPolicy"] = {"customWords": custom, "managedWordLists": managed}

    masked = list(guarded)
    sp = defin.get("sensitiveInformationPolicy") or {}
    if any(_enabled(x, direction) for x in sp.get("piiEntities", []) + sp.get("regexes", [])):
        if any(_enabled(x, direction) for x in sp.get("piiEntities", [])):
            usage["sensitiveInformationPolicyUnits"] = text_units
        else:
            usage["sensitiveInformationPolicyFreeUnits"] = text_units
        entities, regexes, masked = _eval_sensitive(defin, guarded, direction)
        if entities or regexes:
            assessment["sensitiveInformationPolicy"] = {"piiEntities": entities, "regexes": regexes}

    gp = defin.get("contextualGroundingPolicy") or {}
    if (source == "OUTPUT" and guarded and sources and queries
            and any(f.get("enabled") is not False for f in gp.get("filters", []))):
        usage["contextualGroundingPolicyUnits"] = _text_units(
            sum(len(t) for t in guarded + sources + queries))
        found = _eval_grounding(defin, "\n".join(guarded), sources, queries)
        if found:
            assessment["contextualGroundingPolicy"] = {"filters": found}

    actions = _collect_actions(assessment)
    if "BLOCKED" in actions:
        action, reason = "GUARDRAIL_INTERVENED", "Guardrail blocked."
        message = defin.get("blockedInputMessaging" if source == "INPUT" else "blockedOutputsMessaging", "")
        outputs = [{"text": message}]
    elif "ANONYMIZED" in actions:
        action, reason = "GUARDRAIL_INTERVENED", "Guardrail masked."
        outputs = [{"text": t} for t in masked]
    else:
        action, reason, outputs = "NONE", "No action.", []

    coverage = {"textCharacters": {"guarded": guarded_chars, "total": total_chars}}
    if images:
        coverage["images"] = {"guarded": 0, "total": images}
    assessment["invocationMetrics"] = {
        "guardrailProcessingLatency": int(round((time.perf_counter() - started) * 1000)),
        "usage": dict(usage),
        "guardrailCoverage": coverage,
    }
    if defin.get("guardrailId"):
        details = {"guardrailId": defin["guardrailId"], "guardrailVersion": defin.get("version", "DRAFT"),
                   "guardrailOrigin": ["REQUEST"], "guardrailOwnership": "SELF"}
        if defin.get("guardrailArn"):
            details["guardrailArn"] = defin["guardrailArn"]
        assessment["appliedGuardrailDetails"] = details

    return {"usage": usage, "action": action, "actionReason": reason, "outputs": outputs,
            "assessments": [assessment], "guardrailCoverage": coverage}


def _collect_actions(assessment: dict) -> set[str]:
    acts = set()
    for t in assessment.get("topicPolicy", {}).get("topics", []):
        acts.add(t["action"])
    for f in assessment.get("contentPolicy", {}).get("filters", []):
        acts.add(f["action"])
    wp = assessment.get("wordPolicy", {})
    for w in wp.get("customWords", []) + wp.get("managedWordLists", []):
        acts.add(w["action"])
    sp = assessment.get("sensitiveInformationPolicy", {})
    for e in sp.get("piiEntities", []) + sp.get("regexes", []):
        acts.add(e["action"])
    for f in assessment.get("contextualGroundingPolicy", {}).get("filters", []):
        acts.add(f["action"])
    return acts


def blocked_policies(response: dict) -> list[str]:
    """Human-readable list of what acted in an ApplyGuardrail response, e.g.
    ``["topicPolicy:Politics", "contentPolicy:PROMPT_ATTACK", "sensitiveInformationPolicy:EMAIL"]``."""
    out = []
    for a in response.get("assessments", []):
        for t in a.get("topicPolicy", {}).get("topics", []):
            if t["action"] != "NONE":
                out.append(f"topicPolicy:{t['name']}")
        for f in a.get("contentPolicy", {}).get("filters", []):
            if f["action"] != "NONE":
                out.append(f"contentPolicy:{f['type']}")
        wp = a.get("wordPolicy", {})
        for w in wp.get("customWords", []):
            if w["action"] != "NONE":
                out.append("wordPolicy:custom")
        for w in wp.get("managedWordLists", []):
            if w["action"] != "NONE":
                out.append(f"wordPolicy:{w['type']}")
        sp = a.get("sensitiveInformationPolicy", {})
        for e in sp.get("piiEntities", []):
            if e["action"] != "NONE":
                out.append(f"sensitiveInformationPolicy:{e['type']}")
        for e in sp.get("regexes", []):
            if e["action"] != "NONE":
                out.append(f"sensitiveInformationPolicy:{e['name']}")
        for f in a.get("contextualGroundingPolicy", {}).get("filters", []):
            if f["action"] != "NONE":
                out.append(f"contextualGroundingPolicy:{f['type']}")
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- Converse helpers

def converse_contents(messages: list | None, system: list | None = None) -> list[dict]:
    """The ApplyGuardrail content blocks a Converse request exposes to its guardrail.

    As Bedrock documents: the system prompt is only evaluated through its ``guardContent``
    blocks; in ``messages``, if any ``guardContent`` block is present only those blocks are
    evaluated, otherwise every ``text`` block of every message is. Tool use/results, documents and
    images are not evaluated. ``guardContent`` without qualifiers counts as ``guard_content``.
    """
    def guard_block(gc: dict) -> dict | None:
        tb = (gc or {}).get("text")
        if not isinstance(tb, dict) or not isinstance(tb.get("text"), str):
            return None
        return {"text": {"text": tb["text"], "qualifiers": list(tb.get("qualifiers") or ["guard_content"])}}

    out: list[dict] = []
    for block in system or []:
        if isinstance(block, dict) and "guardContent" in block:
            gb = guard_block(block["guardContent"])
            if gb:
                out.append(gb)
    msgs = [m for m in (messages or []) if isinstance(m, dict)]
    has_guard = any(isinstance(b, dict) and "guardContent" in b for m in msgs for b in m.get("content") or [])
    for m in msgs:
        for block in m.get("content") or []:
            if not isinstance(block, dict):
                continue
            if has_guard:
                if "guardContent" in block:
                    gb = guard_block(block["guardContent"])
                    if gb:
                        out.append(gb)
            elif isinstance(block.get("text"), str):
                out.append({"text": {"text": block["text"]}})
    return out


def converse_input(guardrail: dict, messages: list | None, system: list | None = None,
                   output_scope: str | None = None) -> dict:
    """Guardrail check of a Converse request before the model runs.

    Returns ``{"blocked", "intervened", "response", "contents", "masked_messages"}`` where
    ``response`` is the ApplyGuardrail response for source INPUT (``None`` when the request
    exposes no text), ``blocked`` means the model must not run (answer with
    ``response["outputs"][0]["text"]`` and stopReason ``guardrail_intervened``), ``intervened``
    also covers input masking, and ``masked_messages`` are the messages to send to the model (PII
    replaced by ``{TYPE}`` when the guardrail anonymizes inputs, else the messages unchanged)."""
    contents = converse_contents(messages, system)
    if not any("text" in c for c in contents):
        return {"blocked": False, "intervened": False, "response": None, "contents": contents,
                "masked_messages": messages}
    resp = apply(guardrail, "INPUT", contents, output_scope)
    acts = _collect_actions(resp["assessments"][0])
    masked_messages = messages
    if resp["action"] == "GUARDRAIL_INTERVENED" and "BLOCKED" not in acts:
        guarded = [c["text"]["text"] for c in contents if "text" in c and (
            not c["text"].get("qualifiers")
            or set(c["text"]["qualifiers"]) & {"guard_content", "query"})]
        replace = {orig: out["text"] for orig, out in zip(guarded, resp["outputs"], strict=False) if orig != out["text"]}
        masked_messages = _mask_messages(messages, replace)
    return {"blocked": "BLOCKED" in acts, "intervened": resp["action"] == "GUARDRAIL_INTERVENED",
            "response": resp, "contents": contents, "masked_messages": masked_messages}


def _mask_messages(messages: list | None, replace: dict[str, str]) -> list | None:
    """Copies of Converse messages with masked text substituted (text and guardContent blocks)."""
    if not replace or not messages:
        return messages
    out = []
    for m in messages:
        blocks = []
        for b in m.get("content") or []:
            if isinstance(b, dict) and isinstance(b.get("text"), str) and b["text"] in replace:
                b = {**b, "text": replace[b["text"]]}
            elif isinstance(b, dict) and isinstance((b.get("guardContent") or {}).get("text"), dict):
                tb = b["guardContent"]["text"]
                if tb.get("text") in replace:
                    b = {**b, "guardContent": {**b["guardContent"], "text": {**tb, "text": replace[tb["text"]]}}}
            blocks.append(b)
        out.append({**m, "content": blocks})
    return out


def converse_output(guardrail: dict, output_text: str, messages: list | None = None,
                    system: list | None = None, output_scope: str | None = None) -> dict:
    """Guardrail check of the model's answer; grounding sources and the query come from the
    request's ``guardContent`` blocks qualified ``grounding_source`` / ``query``.

    Returns ``{"blocked", "intervened", "text", "response"}`` where ``text`` is what the caller
    should return: the blocked-output message, the masked answer, or the answer unchanged."""
    ctx = [c for c in converse_contents(messages, system)
           if set(c["text"].get("qualifiers") or []) & {"grounding_source", "query"}]
    ctx = [{"text": {"text": c["text"]["text"],
                     "qualifiers": [q for q in c["text"]["qualifiers"] if q != "guard_content"]}}
           for c in ctx]
    contents = ctx + [{"text": {"text": output_text or "", "qualifiers": ["guard_content"]}}]
    resp = apply(guardrail, "OUTPUT", contents, output_scope)
    acts = _collect_actions(resp["assessments"][0])
    if resp["action"] == "GUARDRAIL_INTERVENED":
        text = resp["outputs"][0]["text"] if resp["outputs"] else ""
    else:
        text = output_text
    return {"blocked": "BLOCKED" in acts, "intervened": resp["action"] == "GUARDRAIL_INTERVENED",
            "text": text, "response": resp}


def converse_trace(guardrail_id: str, input_result: dict | None, output_result: dict | None = None,
                   model_output: str | None = None) -> dict:
    """Converse ``trace.guardrail`` (GuardrailTraceAssessment) from the two checks above."""
    trace: dict = {}
    reason = None
    if input_result and input_result.get("response"):
        trace["inputAssessment"] = {guardrail_id: input_result["response"]["assessments"][0]}
        if input_result["intervened"]:
            reason = input_result["response"]["actionReason"]
    if output_result and output_result.get("response"):
        trace["outputAssessments"] = {guardrail_id: list(output_result["response"]["assessments"])}
        if output_result["intervened"]:
            reason = reason or output_result["response"]["actionReason"]
            if model_output is not None:
                trace["modelOutput"] = [model_output]
    if reason:
        trace["actionReason"] = reason
    return trace


def apply_to_converse(guardrail: dict, messages: list | None, system: list | None = None,
                      output_text: str | None = None, trace: str | None = "enabled",
                      guardrail_id: str | None = None, input_result: dict | None = None) -> dict:
    """One call for the wire layer's Converse with ``guardrailConfig``.

    Call it once before running the model (``output_text=None``): if ``input_blocked`` is true,
    answer with ``output_text`` (the blocked-input message) and ``stop_reason``. Otherwise run
    the model on ``messages`` (the request's messages, PII-masked if the guardrail anonymizes
    inputs) and call it again with ``output_text=<model answer>`` and ``input_result=<the
    first result's "input_result">`` (so the input is not evaluated twice); return
    ``output_text`` (blocked message / masked / unchanged) and ``stop_reason``.

    ``trace`` is GuardrailConfiguration.trace: ``"enabled"`` / ``"enabled_full"`` return
    ``trace`` = ``{"guardrail": GuardrailTraceAssessment}`` (``enabled_full`` also lists what was
    evaluated but not detected); ``"disabled"``/``None`` return ``trace`` = ``None``.
    """
    defin = _definition(guardrail)
    gid = guardrail_id or defin.get("guardrailId") or "guardrail"
    scope = "FULL" if trace == "enabled_full" else None
    if input_result is None:
        input_result = converse_input(defin, messages, system, scope)
    result = {"input_blocked": input_result["blocked"], "output_blocked": False,
              "intervened": input_result["intervened"], "stop_reason": None, "output_text": None,
              "messages": input_result.get("masked_messages", messages),
              "input_result": input_result, "output_result": None, "trace": None}
    output_result = None
    if input_result["blocked"]:
        result["output_text"] = input_result["response"]["outputs"][0]["text"]
        result["stop_reason"] = "guardrail_intervened"
    elif output_text is not None:
        output_result = converse_output(defin, output_text, messages, system, scope)
        result.update(output_blocked=output_result["blocked"], output_text=output_result["text"],
                      output_result=output_result,
                      intervened=result["intervened"] or output_result["intervened"])
        if output_result["intervened"]:
            result["stop_reason"] = "guardrail_intervened"
    if trace in ("enabled", "enabled_full"):
        result["trace"] = {"guardrail": converse_trace(gid, input_result, output_result,
                                                       model_output=output_text)}
    return result
