"""Bedrock Guardrails on the wire: control-plane handlers, ApplyGuardrail, and the runtime hooks
that make ``guardrailConfig`` (Converse, ConverseStream) and ``guardrailIdentifier`` /
``guardrailVersion`` / ``trace`` (InvokeModel, InvokeModelWithResponseStream) work as on Bedrock.

Each engine has its own :class:`~local_bedrock.guardrails.store.GuardrailStore` (a new engine is a
new, empty account), kept in ``engine.state["guardrails"]``.

What a guarded model call does (as Bedrock documents it):

* the input is checked first (Converse: every text block, or only ``guardContent`` blocks when
  there are some, plus the system prompt's ``guardContent``; InvokeModel: the prompt text of
  the body, or only the text inside ``<amazon-bedrock-guardrails-guardContent_SUFFIX>`` tags when
  the body sets ``amazon-bedrock-guardrailConfig.tagSuffix``);
* a blocked input never reaches the model: the answer is the guardrail's
  ``blockedInputMessaging`` with stopReason ``guardrail_intervened`` and zero tokens;
* input PII the guardrail ANONYMIZEs is masked before the model sees it;
* the model's answer is checked (including contextual grounding when the request carries
  ``grounding_source`` / ``query`` content) and replaced by ``blockedOutputsMessaging`` or masked;
* ``trace`` enabled: Converse returns ``trace.guardrail`` (GuardrailTraceAssessment), InvokeModel
  adds ``amazon-bedrock-trace.guardrail`` (``input`` / ``outputs`` per guardrail id) to the body;
  InvokeModel bodies always carry ``amazon-bedrock-guardrailAction`` (INTERVENED or NONE).
"""

from __future__ import annotations

import json
import re
from typing import Iterator

from local_bedrock.errors import validation
from local_bedrock.guardrails import policies
from local_bedrock.guardrails.store import GuardrailStore
from local_bedrock.records import chunk_text as _chunk_text
from local_bedrock.text.types import Turn

STATE_KEY = "guardrails"
_TAG_OPEN = "<amazon-bedrock-guardrails-guardContent_{}>"
_TAG_CLOSE = "</amazon-bedrock-guardrails-guardContent_{}>"


def store(engine) -> GuardrailStore:
    """This engine's guardrails."""
    found = engine.state.get(STATE_KEY)
    if found is None:
        found = engine.state[STATE_KEY] = GuardrailStore()
    return found


# --------------------------------------------------------------------------- control plane

def create_guardrail(engine, params: dict) -> dict:
    return store(engine).create_guardrail(params)


def get_guardrail(engine, params: dict) -> dict:
    return store(engine).get_guardrail(params.get("guardrailIdentifier"), params.get("guardrailVersion"))


def list_guardrails(engine, params: dict) -> dict:
    return store(engine).list_guardrails(params.get("guardrailIdentifier"), params.get("maxResults"),
                                         params.get("nextToken"))


def update_guardrail(engine, params: dict) -> dict:
    return store(engine).update_guardrail(params)


def create_guardrail_version(engine, params: dict) -> dict:
    return store(engine).create_guardrail_version(params.get("guardrailIdentifier"), params.get("description"),
                                                  params.get("clientRequestToken"))


def delete_guardrail(engine, params: dict) -> dict:
    return store(engine).delete_guardrail(params.get("guardrailIdentifier"), params.get("guardrailVersion"))


# --------------------------------------------------------------------------- ApplyGuardrail

def apply_guardrail(engine, params: dict) -> dict:
    """ApplyGuardrail: evaluate content blocks against a guardrail version, offline."""
    guardrail = store(engine).resolve_for_apply(params.get("guardrailIdentifier"),
                                                params.get("guardrailVersion"))
    return policies.apply(guardrail, params.get("source"), params.get("content"), params.get("outputScope"))


# --------------------------------------------------------------------------- Converse hooks

def _converse_guardrail(engine, params: dict) -> dict | None:
    cfg = params.get("guardrailConfig")
    if not cfg:
        return None
    trace = cfg.get("trace", "disabled")
    if trace not in ("enabled", "disabled", "enabled_full"):
        raise validation(f"1 validation error detected: Value '{trace}' at 'guardrailConfig.trace' failed "
                         "to satisfy constraint: Member must satisfy enum value set: "
                         "[enabled, disabled, enabled_full]")
    return store(engine).resolve_for_apply(cfg.get("guardrailIdentifier"), cfg.get("guardrailVersion"))


def _masked_turns(messages: list | None) -> list[Turn]:
    return [Turn(m["role"], list(m.get("content") or [])) for m in messages or []]


def converse_input(engine, params: dict, req) -> dict | None:
    """engine.guardrail_input: None to go on (PII possibly masked in ``req``), or the full
    Converse output for a blocked input."""
    guardrail = _converse_guardrail(engine, params)
    if guardrail is None:
        return None
    cfg = params["guardrailConfig"]
    first = policies.apply_to_converse(guardrail, params.get("messages"), params.get("system"),
                                       trace=cfg.get("trace", "disabled"),
                                       guardrail_id=guardrail["guardrailId"])
    req._guardrail_input = first["input_result"]
    if first["input_blocked"]:
        out = {"output": {"message": {"role": "assistant", "content": [{"text": first["output_text"]}]}},
               "stopReason": "guardrail_intervened",
               "usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0},
               "metrics": {"latencyMs": max(1, _latency(first))}}
        if first["trace"]:
            out["trace"] = first["trace"]
        return out
    messages = first["messages"]
    if messages is not params.get("messages") or _has_guard_content(messages):
        # the model gets the (masked) text; guardContent blocks reach it as plain text
        req.messages = _masked_turns(_plain_messages(messages))
    guarded_system = [((b["guardContent"] or {}).get("text") or {}).get("text", "")
                      for b in params.get("system") or [] if isinstance(b, dict) and "guardContent" in b]
    if any(guarded_system):
        req.system = "\n".join([t for t in [req.system, *guarded_system] if t])
    return None


def _has_guard_content(messages: list | None) -> bool:
    return any(isinstance(b, dict) and "guardContent" in b for m in messages or [] for b in m.get("content") or [])


def _plain_messages(messages: list | None) -> list:
    """Messages as the model sees them: guardContent blocks become plain text blocks."""
    out = []
    for m in messages or []:
        blocks = []
        for b in m.get("content") or []:
            if isinstance(b, dict) and "guardContent" in b:
                tb = (b["guardContent"] or {}).get("text") or {}
                blocks.append({"text": tb.get("text", "")})
            else:
                blocks.append(b)
        out.append({**m, "content": blocks})
    return out


def _latency(result: dict) -> int:
    total = 0
    for key in ("input_result", "output_result"):
        resp = (result.get(key) or {}).get("response")
        if resp:
            total += resp["assessments"][0]["invocationMetrics"]["guardrailProcessingLatency"]
    return total


def converse_output(engine, params: dict, req, out: dict) -> dict:
    """engine.guardrail_output: check the model's answer; return the (possibly replaced) output."""
    guardrail = _converse_guardrail(engine, params)
    if guardrail is None:
        return out
    cfg = params["guardrailConfig"]
    blocks = out["output"]["message"]["content"]
    answer = "".join(b.get("text", "") for b in blocks if "text" in b)
    checked = policies.apply_to_converse(guardrail, params.get("messages"), params.get("system"),
                                         output_text=answer, trace=cfg.get("trace", "disabled"),
                                         guardrail_id=guardrail["guardrailId"],
                                         input_result=getattr(req, "_guardrail_input", None))
    out = dict(out)
    if checked["output_blocked"]:
        out["output"] = {"message": {"role": "assistant", "content": [{"text": checked["output_text"]}]}}
        out["stopReason"] = "guardrail_intervened"
    elif checked["intervened"] and checked["output_result"] and checked["output_result"]["intervened"]:
        masked, used = [], False
        for b in blocks:  # the masked answer goes in the first text block, tool uses are kept
            if "text" in b:
                if not used:
                    masked.append({"text": checked["output_text"]})
                    used = True
            else:
                masked.append(b)
        out["output"] = {"message": {"role": "assistant", "content": masked}}
        out["stopReason"] = "guardrail_intervened"
    if checked["trace"]:
        out["trace"] = checked["trace"]
    return out


# --------------------------------------------------------------------------- InvokeModel

def _invoke_guardrail(engine, params: dict) -> tuple[dict | None, str]:
    gid, version = params.get("guardrailIdentifier"), params.get("guardrailVersion")
    trace = params.get("trace") or "DISABLED"
    if not gid and not version:
        return None, trace
    if not gid or not version:
        raise validation("Guardrail identifier and version must both be provided, or neither.")
    return store(engine).resolve_for_apply(gid, version), trace


def _tagged(text: str, suffix: str) -> tuple[list[str], str]:
    """(texts inside the guard-content tags, the text with the tags removed)."""
    opening, closing = re.escape(_TAG_OPEN.format(suffix)), re.escape(_TAG_CLOSE.format(suffix))
    pattern = re.compile(opening + r"(.*?)" + closing, re.S)
    inside = [m.group(1) for m in pattern.finditer(text)]
    return inside, pattern.sub(lambda m: m.group(1), text)


def _strip_tags(obj, suffix: str, found: list[str]):
    if isinstance(obj, str):
        inside, clean = _tagged(obj, suffix)
        found += inside
        return clean
    if isinstance(obj, list):
        return [_strip_tags(v, suffix, found) for v in obj]
    if isinstance(obj, dict):
        return {k: _strip_tags(v, suffix, found) for k, v in obj.items()}
    return obj


def _prompt_texts(req) -> list[str]:
    texts = [req.system] if req.system.strip() else []
    texts += [t.text for t in req.messages if t.role == "user" and t.text.strip()]
    return texts


def _invoke_trace(guardrail: dict, trace: str, input_resp: dict | None, output_resp: dict | None) -> dict | None:
    if trace not in ("ENABLED", "ENABLED_FULL"):
        return None
    gid = guardrail["guardrailId"]
    out: dict = {}
    if input_resp is not None:
        out["input"] = {gid: input_resp["assessments"][0]}
    if output_resp is not None:
        out["outputs"] = [{gid: a} for a in output_resp["assessments"]]
    return {"guardrail": out}


def _prepare_invoke(engine, params: dict):
    """(params for the model with tags/config removed, guarded input texts, guardrail, trace)."""
    guardrail, trace = _invoke_guardrail(engine, params)
    if guardrail is None:
        return params, None, None, trace
    from local_bedrock.errors import EngineError
    from local_bedrock.runtime.invoke import json_body

    try:
        body = json_body(params.get("body") or b"")
    except EngineError:
        return params, None, guardrail, trace  # the model handler reports the malformed body
    if not isinstance(body, dict):
        return params, None, guardrail, trace
    gcfg = body.pop("amazon-bedrock-guardrailConfig", None)
    tagged = None
    if isinstance(gcfg, dict) and gcfg.get("tagSuffix"):
        tagged = []
        body = _strip_tags(body, str(gcfg["tagSuffix"]), tagged)
    params = {**params, "body": json.dumps(body).encode()}
    return params, tagged, guardrail, trace


def _blocked_result(text: str):
    from local_bedrock.text.types import GenerationResult

    return GenerationResult(text=text, stop_reason="guardrail_intervened", input_tokens=0, output_tokens=0)


def _check_invoke_input(engine, params: dict, tagged, guardrail: dict, scope):
    from local_bedrock.runtime import models, providers

    model = models.resolve(params["modelId"], engine=engine)
    req = providers.parse_text_request(model.model_id, _json_body(params["body"]))
    texts = tagged if tagged is not None else _prompt_texts(req)
    if not any(t.strip() for t in texts):
        return model, None
    contents = [{"text": {"text": t}} for t in texts]
    return model, policies.apply(guardrail, "INPUT", contents, scope)


def guarded_invoke_model(original):
    """Wrap the InvokeModel handler so a guardrail in the request is applied."""

    def handler(engine, params: dict) -> dict:
        params, tagged, guardrail, trace = _prepare_invoke(engine, params)
        if guardrail is None:
            return original(engine, params)
        from local_bedrock.runtime import invoke, providers

        scope = "FULL" if trace == "ENABLED_FULL" else None
        model, in_resp = _check_invoke_input(engine, params, tagged, guardrail, scope)
        if in_resp is not None and "BLOCKED" in policies._collect_actions(in_resp["assessments"][0]):
            body = providers.render_text_response(model.model_id, _blocked_result(in_resp["outputs"][0]["text"]))
            _mark(body, "INTERVENED", _invoke_trace(guardrail, trace, in_resp, None))
            return {"body": json.dumps(body).encode(), "contentType": "application/json",
                    "_headers": invoke._token_headers(0, 0, 1)}
        params = _mask_invoke_body(params, in_resp, tagged, model, providers)
        out = original(engine, params)
        body = json.loads(out["body"])
        answer = _answer_text(body)
        out_resp = policies.apply(guardrail, "OUTPUT", [{"text": {"text": answer}}], scope)
        intervened = out_resp["action"] == "GUARDRAIL_INTERVENED" or (
            in_resp is not None and in_resp["action"] == "GUARDRAIL_INTERVENED")
        if out_resp["action"] == "GUARDRAIL_INTERVENED":
            result = _blocked_result(out_resp["outputs"][0]["text"] if out_resp["outputs"] else "")
            in_tok = int(out["_headers"].get("X-Amzn-Bedrock-Input-Token-Count", 0))
            out_tok = int(out["_headers"].get("X-Amzn-Bedrock-Output-Token-Count", 0))
            result.input_tokens, result.output_tokens = in_tok, out_tok
            body = providers.render_text_response(model.model_id, result)
        _mark(body, "INTERVENED" if intervened else "NONE", _invoke_trace(guardrail, trace, in_resp, out_resp))
        return {**out, "body": json.dumps(body).encode()}

    handler.__wrapped__ = original
    return handler


def guarded_invoke_model_stream(original):
    """Wrap InvokeModelWithResponseStream: input checked first; the answer is checked as a whole
    before any chunk is sent (Bedrock's synchronous guardrail mode for streams)."""

    def handler(engine, params: dict) -> dict:
        params, tagged, guardrail, trace = _prepare_invoke(engine, params)
        if guardrail is None:
            return original(engine, params)
        from local_bedrock.runtime import providers

        scope = "FULL" if trace == "ENABLED_FULL" else None
        model, in_resp = _check_invoke_input(engine, params, tagged, guardrail, scope)
        if in_resp is not None and "BLOCKED" in policies._collect_actions(in_resp["assessments"][0]):
            result = _blocked_result(in_resp["outputs"][0]["text"])
            chunks = providers.render_stream_chunks(model.model_id, result, [result.text])
            _mark(chunks[-1], "INTERVENED", _invoke_trace(guardrail, trace, in_resp, None))
            return {"body": _chunk_events(chunks), "contentType": "application/json"}
        params = _mask_invoke_body(params, in_resp, tagged, model, providers)
        out = original(engine, params)
        chunks = [json.loads(e["chunk"]["bytes"]) for e in out["body"]]
        answer = "".join(_chunk_text(c) for c in chunks)
        out_resp = policies.apply(guardrail, "OUTPUT", [{"text": {"text": answer}}], scope)
        intervened = out_resp["action"] == "GUARDRAIL_INTERVENED" or (
            in_resp is not None and in_resp["action"] == "GUARDRAIL_INTERVENED")
        if out_resp["action"] == "GUARDRAIL_INTERVENED":
            result = _blocked_result(out_resp["outputs"][0]["text"] if out_resp["outputs"] else "")
            chunks = providers.render_stream_chunks(model.model_id, result, [result.text])
        _mark(chunks[-1], "INTERVENED" if intervened else "NONE",
              _invoke_trace(guardrail, trace, in_resp, out_resp))
        return {**out, "body": _chunk_events(chunks)}

    handler.__wrapped__ = original
    return handler


def _chunk_events(chunks: list[dict]) -> Iterator[dict]:
    for c in chunks:
        yield {"chunk": {"bytes": json.dumps(c).encode()}}


def _mark(body: dict, action: str, trace: dict | None) -> None:
    body["amazon-bedrock-guardrailAction"] = action
    if trace is not None:
        body["amazon-bedrock-trace"] = trace


def _mask_invoke_body(params: dict, in_resp: dict | None, tagged, model, providers) -> dict:
    """Replace input PII the guardrail anonymized in the request body sent to the model."""
    if in_resp is None or in_resp["action"] != "GUARDRAIL_INTERVENED" or not in_resp["outputs"]:
        return params
    req = providers.parse_text_request(model.model_id, _json_body(params["body"]))
    originals = tagged if tagged is not None else _prompt_texts(req)
    raw = params["body"].decode() if isinstance(params["body"], (bytes, bytearray)) else params["body"]
    body = json.loads(raw)
    for orig, masked in zip(originals, in_resp["outputs"], strict=False):
        if orig != masked["text"]:
            body = _replace_strings(body, orig, masked["text"])
    return {**params, "body": json.dumps(body).encode()}


def _replace_strings(obj, old: str, new: str):
    if isinstance(obj, str):
        return obj.replace(old, new)
    if isinstance(obj, list):
        return [_replace_strings(v, old, new) for v in obj]
    if isinstance(obj, dict):
        return {k: _replace_strings(v, old, new) for k, v in obj.items()}
    return obj


def _answer_text(body: dict) -> str:
    """The generated text of an InvokeModel response body, for any text family."""
    if isinstance(body.get("content"), list):  # Anthropic messages
        return "".join(b.get("text", "") for b in body["content"] if isinstance(b, dict))
    msg = ((body.get("output") or {}).get("message") or {})
    if isinstance(msg.get("content"), list):  # Nova
        return "".join(b.get("text", "") for b in msg["content"] if isinstance(b, dict))
    for key in ("completion", "generation"):
        if isinstance(body.get(key), str):
            return body[key]
    for key in ("results", "outputs"):
        items = body.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            return "".join(i.get("outputText", i.get("text", "")) for i in items)
    choices = body.get("choices")
    if isinstance(choices, list) and choices:
        c = choices[0]
        return (c.get("message") or {}).get("content") or c.get("text") or ""
    return ""


# --------------------------------------------------------------------------- install

def install(engine) -> None:
    """Attach the guardrail handlers and the Converse/InvokeModel hooks to an engine."""
    store(engine)
    engine.handlers.update({
        ("bedrock", "CreateGuardrail"): create_guardrail,
        ("bedrock", "GetGuardrail"): get_guardrail,
        ("bedrock", "ListGuardrails"): list_guardrails,
        ("bedrock", "UpdateGuardrail"): update_guardrail,
        ("bedrock", "CreateGuardrailVersion"): create_guardrail_version,
        ("bedrock", "DeleteGuardrail"): delete_guardrail,
        ("bedrock-runtime", "ApplyGuardrail"): apply_guardrail,
    })
    for op, wrap in (("InvokeModel", guarded_invoke_model),
                     ("InvokeModelWithResponseStream", guarded_invoke_model_stream)):
        key = ("bedrock-runtime", op)
        if key in engine.handlers and not hasattr(engine.handlers[key], "__wrapped__"):
            engine.handlers[key] = wrap(engine.handlers[key])
    engine.guardrail_input = lambda params, req: converse_input(engine, params, req)
    engine.guardrail_output = lambda params, req, out: converse_output(engine, params, req, out)


def _json_body(raw):
    from local_bedrock.runtime.invoke import json_body

    return json_body(raw)
