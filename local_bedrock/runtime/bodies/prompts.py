"""Prompt-string families: Amazon Titan Text, Meta Llama and Mistral AI.

Titan Text::

    request  {"inputText": "User: ...\\nBot:", "textGenerationConfig": {"maxTokenCount": 512,
              "temperature": 0.7, "topP": 0.9, "stopSequences": ["User:"]}}
    response {"inputTextTokenCount": 5, "results": [{"tokenCount": 9, "outputText": "...",
              "completionReason": "FINISH" | "LENGTH" | "STOP_CRITERIA_MET"}]}

Meta Llama::

    request  {"prompt": "<|begin_of_text|>...", "max_gen_len": 512, "temperature": 0.5,
              "top_p": 0.9}
    response {"generation": "...", "prompt_token_count": 5, "generation_token_count": 9,
              "stop_reason": "stop" | "length"}

Mistral AI::

    request  {"prompt": "<s>[INST] ... [/INST]", "max_tokens": 512, "stop": [...],
              "temperature": 0.5, "top_p": 0.9, "top_k": 50}
    response {"outputs": [{"text": "...", "stop_reason": "stop" | "length"}]}

Prompts are parsed back into conversation turns so the responder sees who said what.
"""

from __future__ import annotations

import re
from typing import Any

from local_bedrock.catalog import Model
from local_bedrock.runtime.bodies import common as c
from local_bedrock.text.tokens import count_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult, Turn


def _user_only(text: str) -> list[Turn]:
    return [Turn(role="user", content=[{"text": text.strip()}])]


def _merge(turns: list[tuple[str, str]]) -> list[Turn]:
    """(role, text) pairs into alternating Turns (same-role neighbours are joined)."""
    out: list[Turn] = []
    for role, text in turns:
        text = text.strip()
        if not text:
            continue
        if out and out[-1].role == role:
            out[-1].content[0]["text"] += "\n" + text
        else:
            out.append(Turn(role=role, content=[{"text": text}]))
    return out


# =========================================================================== Titan Text

TITAN_KEYS = frozenset({"inputText", "textGenerationConfig"})
TITAN_CONFIG_KEYS = frozenset({"temperature", "topP", "maxTokenCount", "stopSequences"})
_TITAN_TURN = re.compile(r"(?:^|\n)\s*(User|Bot|Assistant)\s*:", re.IGNORECASE)


def parse_titan(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", TITAN_KEYS, ("inputText",))
    text = c.get_str(body, "inputText", "", min_length=1)
    config = c.require_object(body.get("textGenerationConfig", {}), "/textGenerationConfig")
    cp = "/textGenerationConfig"
    c.check_keys(config, cp, TITAN_CONFIG_KEYS)
    max_tokens = c.get_int(config, "maxTokenCount", cp, 512, lo=0,
                           hi=model.max_output_tokens or None)
    temperature = c.get_number(config, "temperature", cp, 0.7, lo=0, hi=1)
    top_p = c.get_number(config, "topP", cp, 0.9, lo=0, hi=1)
    stops = c.get_str_list(config, "stopSequences", cp, [])
    system, messages = _titan_turns(text)
    return GenerationRequest(model_id=model.model_id, messages=messages, system=system,
                             max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                             stop_sequences=stops)


def _titan_turns(text: str) -> tuple[str, list[Turn]]:
    parts = _TITAN_TURN.split(text)
    if len(parts) < 3:
        return "", _user_only(text)
    pairs = [("user" if parts[k].lower() == "user" else "assistant", parts[k + 1])
             for k in range(1, len(parts), 2)]
    messages = _merge(pairs)
    if not messages or messages[0].role != "user":
        return "", _user_only(text)
    return parts[0].strip(), messages


_TITAN_REASONS = {"end_turn": "FINISH", "max_tokens": "LENGTH",
                  "stop_sequence": "STOP_CRITERIA_MET", "tool_use": "FINISH",
                  "guardrail_intervened": "CONTENT_FILTERED"}


def render_titan(model: Model, result: GenerationResult) -> dict:
    return {"inputTextTokenCount": result.input_tokens, "results": [{
        "tokenCount": result.output_tokens, "outputText": result.text,
        "completionReason": _TITAN_REASONS.get(result.stop_reason, "FINISH")}]}


def stream_titan(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    pieces = c.text_pieces(result, pieces) or [""]
    counts = c.cumulative_counts(pieces, result.output_tokens)
    chunks = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk: dict[str, Any] = {
            "outputText": piece, "index": 0,
            "totalOutputTextTokenCount": counts[i] if last else None,
            "completionReason": _TITAN_REASONS.get(result.stop_reason, "FINISH") if last
            else None,
            "inputTextTokenCount": result.input_tokens if i == 0 else None,
        }
        if last:
            chunk["amazon-bedrock-invocationMetrics"] = c.invocation_metrics(result)
        chunks.append(chunk)
    return chunks


def usage_titan(body: dict) -> tuple[int, int]:
    results = body.get("results") or []
    return (int(body.get("inputTextTokenCount") or 0),
            sum(int(r.get("tokenCount") or 0) for r in results))


# =========================================================================== Meta Llama

LLAMA_KEYS = frozenset({"prompt", "max_gen_len", "temperature", "top_p"})
_LLAMA_TURN = re.compile(
    r"<\|start_header_id\|>\s*(\w+)\s*<\|end_header_id\|>(.*?)(?:<\|eot_id\|>|<\|eom_id\|>|$)",
    re.DOTALL)


def parse_llama(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", LLAMA_KEYS, ("prompt",))
    prompt = c.get_str(body, "prompt", "", min_length=1)
    max_tokens = c.get_int(body, "max_gen_len", "", 512, lo=1,
                           hi=model.max_output_tokens or None)
    temperature = c.get_number(body, "temperature", "", 0.5, lo=0, hi=1)
    top_p = c.get_number(body, "top_p", "", 0.9, lo=0, hi=1)
    system, messages = _llama_turns(prompt)
    return GenerationRequest(model_id=model.model_id, messages=messages, system=system,
                             max_tokens=max_tokens, temperature=temperature, top_p=top_p)


def _llama_turns(prompt: str) -> tuple[str, list[Turn]]:
    if "<|start_header_id|>" not in prompt:
        if "[INST]" in prompt:  # Llama 2 chat template
            return _inst_turns(prompt)
        return "", _user_only(prompt.replace("<|begin_of_text|>", ""))
    system, pairs = [], []
    for role, text in _LLAMA_TURN.findall(prompt):
        role = role.lower()
        if role == "system":
            system.append(text.strip())
        else:
            pairs.append(("assistant" if role == "assistant" else "user", text))
    messages = _merge(pairs)
    if not messages:
        return "\n".join(system), _user_only(_LLAMA_TURN.sub("", prompt) or prompt)
    return "\n".join(system), messages


_LENGTH = {"max_tokens": "length"}


def render_llama(model: Model, result: GenerationResult) -> dict:
    return {"generation": result.text, "prompt_token_count": result.input_tokens,
            "generation_token_count": result.output_tokens,
            "stop_reason": _LENGTH.get(result.stop_reason, "stop")}


def stream_llama(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    pieces = c.text_pieces(result, pieces)
    counts = c.cumulative_counts(pieces, result.output_tokens)
    chunks: list[dict[str, Any]] = [
        {"generation": piece, "prompt_token_count": result.input_tokens if i == 0 else None,
         "generation_token_count": counts[i], "stop_reason": None}
        for i, piece in enumerate(pieces)]
    chunks.append({"generation": "",
                   "prompt_token_count": None if chunks else result.input_tokens,
                   "generation_token_count": result.output_tokens,
                   "stop_reason": _LENGTH.get(result.stop_reason, "stop"),
                   "amazon-bedrock-invocationMetrics": c.invocation_metrics(result)})
    return chunks


def usage_llama(body: dict) -> tuple[int, int]:
    return (int(body.get("prompt_token_count") or 0),
            int(body.get("generation_token_count") or 0))


# =========================================================================== Mistral AI

MISTRAL_KEYS = frozenset({"prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"})
_INST = re.compile(r"\[INST\](.*?)\[/INST\]", re.DOTALL)
_SYS = re.compile(r"<<SYS>>(.*?)<</SYS>>", re.DOTALL)


def _mistral_defaults(model: Model) -> tuple[int, float, float]:
    """(max_tokens, temperature, top_p) defaults: the large model differs from 7B / 8x7B."""
    if "large" in model.model_id:
        return min(8192, model.max_output_tokens or 8192), 0.7, 1.0
    return 512, 0.5, 0.9


def parse_mistral(model: Model, body: Any) -> GenerationRequest:
    c.require_object(body, "")
    c.check_keys(body, "", MISTRAL_KEYS, ("prompt",))
    prompt = c.get_str(body, "prompt", "", min_length=1)
    default_max, default_temp, default_top_p = _mistral_defaults(model)
    max_tokens = c.get_int(body, "max_tokens", "", default_max, lo=1,
                           hi=model.max_output_tokens or None)
    temperature = c.get_number(body, "temperature", "", default_temp, lo=0, hi=1)
    top_p = c.get_number(body, "top_p", "", default_top_p, lo=0, hi=1)
    c.get_int(body, "top_k", "", None, lo=1, hi=200)
    stops = c.get_str_list(body, "stop", "", [], max_items=10)
    system, messages = _inst_turns(prompt)
    return GenerationRequest(model_id=model.model_id, messages=messages, system=system,
                             max_tokens=max_tokens, temperature=temperature, top_p=top_p,
                             stop_sequences=stops)


def _inst_turns(prompt: str) -> tuple[str, list[Turn]]:
    """Parse "<s>[INST] q1 [/INST] a1</s>[INST] q2 [/INST]" into turns."""
    if "[INST]" not in prompt:
        return "", _user_only(prompt.replace("<s>", "").replace("</s>", ""))
    system = ""
    pairs: list[tuple[str, str]] = []
    pos = 0
    for m in _INST.finditer(prompt):
        before = prompt[pos:m.start()].replace("<s>", "").replace("</s>", "")
        if pairs:
            pairs.append(("assistant", before))
        user = m.group(1)
        sys_match = _SYS.search(user)
        if sys_match and not system:
            system = sys_match.group(1).strip()
            user = _SYS.sub("", user)
        pairs.append(("user", user))
        pos = m.end()
    tail = prompt[pos:].replace("<s>", "").replace("</s>", "")
    if pairs:
        pairs.append(("assistant", tail))  # a prefill after the last [/INST], if any
    messages = _merge(pairs)
    if not messages:
        return system, _user_only(prompt)
    return system, messages


def render_mistral(model: Model, result: GenerationResult) -> dict:
    return {"outputs": [{"text": result.text,
                         "stop_reason": _LENGTH.get(result.stop_reason, "stop")}]}


def stream_mistral(model: Model, result: GenerationResult, pieces: list[str]) -> list[dict]:
    pieces = c.text_pieces(result, pieces) or [""]
    chunks: list[dict[str, Any]] = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk: dict[str, Any] = {"outputs": [{
            "text": piece,
            "stop_reason": _LENGTH.get(result.stop_reason, "stop") if last else None}]}
        if last:
            chunk["amazon-bedrock-invocationMetrics"] = c.invocation_metrics(result)
        chunks.append(chunk)
    return chunks


def usage_mistral(body: dict) -> tuple[int, int]:
    outputs = body.get("outputs") or [{}]
    text = outputs[0].get("text", "")
    return 0, count_tokens(text)  # the body has no counts: Bedrock sends them in X-Amzn-Bedrock-* headers
