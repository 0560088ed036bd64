"""Forward generation to a local OpenAI-compatible server (e.g. Ollama) for real model output.

Enabled by WORKSHOP_LOCAL_LLM_URL (e.g. http://127.0.0.1:11434/v1); WORKSHOP_LOCAL_LLM_MODEL
names the model there (default "llama3.2").
"""

from __future__ import annotations

import json
import os
import urllib.request

from local_bedrock.errors import EngineError
from local_bedrock.text.types import GenerationRequest, GenerationResult

_FINISH = {"stop": "end_turn", "length": "max_tokens"}


def forward(req: GenerationRequest, input_tokens: int) -> GenerationResult:
    """Send the request as an OpenAI chat completion and translate the answer back."""
    base = os.environ["WORKSHOP_LOCAL_LLM_URL"].rstrip("/")
    messages = [{"role": "system", "content": req.system}] if req.system else []
    messages += [{"role": t.role, "content": t.text} for t in req.messages]
    payload = {"model": os.environ.get("WORKSHOP_LOCAL_LLM_MODEL", "llama3.2"),
               "messages": messages, "max_tokens": req.max_tokens,
               "temperature": req.temperature, "top_p": req.top_p}
    if req.stop_sequences:
        payload["stop"] = req.stop_sequences
    http = urllib.request.Request(f"{base}/chat/completions", data=json.dumps(payload).encode(),
                                  headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(http, timeout=120) as resp:
            data = json.load(resp)
    except OSError as exc:
        raise EngineError("ModelNotReadyException",
                          f"WORKSHOP_LOCAL_LLM_URL={base} did not answer ({exc}). Start the local "
                          "server or unset the variable to use the built-in responder.", 429) from exc
    choice = data["choices"][0]
    usage = data.get("usage", {})
    return GenerationResult(
        text=choice["message"]["content"] or "",
        stop_reason=_FINISH.get(choice.get("finish_reason"), "end_turn"),
        input_tokens=usage.get("prompt_tokens", input_tokens),
        output_tokens=usage.get("completion_tokens", 0),
    )
