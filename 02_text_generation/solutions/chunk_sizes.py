"""Worked solution to 02.04's "Your turn": map-reduce summarisation at three chunk sizes.

The Annals of Vellmar are split with the notebook's ``RecursiveCharacterTextSplitter`` settings
at 1,000, 2,500 and 5,000 estimated tokens per chunk, then summarised map-reduce with the same
map and reduce prompts through Converse. Calls and tokens come from each response's ``usage``.
Smaller chunks mean more map calls, more partial summaries to reduce (sometimes an extra collapse
round), and more tokens in total: the prompt and the summaries are paid once per chunk.
"""

from __future__ import annotations

from pathlib import Path

import boto3
from langchain_text_splitters import RecursiveCharacterTextSplitter

from utils import models

DOCUMENT = Path(__file__).resolve().parent.parent / "data" / "annals_of_vellmar.md"
SIZES = (1000, 2500, 5000)
SYSTEM = "You summarise a long local history for a busy reader. Keep names, years and numbers."
MAP = ("Summarise the key events of this part of the history in at most five bullet points."
       "\n<document>\n{text}\n</document>")
REDUCE = ("These are summaries of consecutive parts of one history. Summarise them into one "
          "summary of at most eight bullet points.\n<document>\n{text}\n</document>")


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def split(document: str, chunk_tokens: int) -> list[str]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_tokens, chunk_overlap=100,
                                              length_function=estimate_tokens,
                                              separators=["\n## ", "\n\n", "\n", ". ", " "])
    return splitter.split_text(document)


def map_reduce(runtime, chunks: list[str], chunk_tokens: int) -> dict:
    """Map every chunk, collapse in groups of four while too long, reduce: calls and tokens."""
    usage = {"calls": 0, "input tokens": 0, "output tokens": 0}

    def ask(template: str, text: str) -> str:
        resp = runtime.converse(modelId=models.TEXT_MODEL, system=[{"text": SYSTEM}],
                                messages=[{"role": "user", "content": [{"text": template.format(text=text)}]}],
                                inferenceConfig={"maxTokens": 400, "temperature": 0})
        usage["calls"] += 1
        usage["input tokens"] += resp["usage"]["inputTokens"]
        usage["output tokens"] += resp["usage"]["outputTokens"]
        return "".join(b.get("text", "") for b in resp["output"]["message"]["content"])

    partial = [ask(MAP, c) for c in chunks]
    while estimate_tokens("\n\n".join(partial)) > chunk_tokens:
        partial = [ask(REDUCE, "\n\n".join(partial[i:i + 4])) for i in range(0, len(partial), 4)]
    ask(REDUCE, "\n\n".join(partial))
    return usage


def run() -> list[dict]:
    runtime = boto3.client("bedrock-runtime")
    document = DOCUMENT.read_text(encoding="utf-8")
    rows = []
    for size in SIZES:
        chunks = split(document, size)
        usage = map_reduce(runtime, chunks, size)
        rows.append({"chunk tokens": size, "chunks": len(chunks), **usage,
                     "cost USD": round(models.cost_usd(models.TEXT_MODEL, usage["input tokens"],
                                                       usage["output tokens"]), 6)})
    return rows


def check(rows: list[dict]) -> None:
    by_size = sorted(rows, key=lambda r: r["chunk tokens"])
    chunks = [r["chunks"] for r in by_size]
    calls = [r["calls"] for r in by_size]
    assert chunks == sorted(chunks, reverse=True) and chunks[0] > chunks[-1], "smaller chunks, more of them"
    assert all(r["calls"] > r["chunks"] for r in rows), "one map call per chunk, plus the reduce"
    assert calls == sorted(calls, reverse=True) and calls[0] > calls[-1], "more chunks, more calls"
    assert by_size[0]["output tokens"] > by_size[-1]["output tokens"], "every call writes a summary"
    assert by_size[0]["input tokens"] > by_size[-1]["input tokens"], "prompts and summaries re-read"
