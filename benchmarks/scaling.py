"""How the offline engine's latency grows with the input, per path that reads text.

    PYTHONPATH=. .venv/bin/python benchmarks/scaling.py [--sizes 750,7500,75000] [--paths a,b]

For each path, latency at each input size (words of varied prose from the workshop's own
documents, a fresh variant per call so no cache answers it), then the fitted growth exponent
(the slope of log time against log size: 1.0 is linear, 2.0 quadratic) and the time ratio per
10x step. Targets (issue #19, 2-core machine): exponents <= 1.1, a 15,000-word summary
<= 0.5 s, a 75,000-word summary <= 2 s, ApplyGuardrail on 15,000 words <= 300 ms with every
policy type on. The module's `Workload` is reused by tests/engine/test_scaling.py.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = [ROOT / "02_text_generation" / "data" / "annals_of_vellmar.md",
           *sorted((ROOT / "03_knowledge_bases" / "data" / "corpus").glob("*.md"))]


class Workload:
    """Clients on the offline engine plus documents of any length, each call a fresh variant."""

    def __init__(self, ws=None) -> None:
        """``ws``: a Workshop already set up (tests); else one is set up offline here."""
        import boto3

        import utils
        from utils import models

        self.ws = ws or utils.setup(mode="offline", quiet=True)
        self.rt = boto3.client("bedrock-runtime", region_name=self.ws.region)
        self.bedrock = boto3.client("bedrock", region_name=self.ws.region)
        self.model = models.TEXT_MODEL
        self.embed_model = models.EMBEDDING_MODEL
        text = "\n\n".join(p.read_text(encoding="utf-8") for p in CORPORA)
        self.paragraphs = [p for p in text.split("\n\n") if len(p.split()) > 5]
        self._salt = 0
        config = json.loads((ROOT / "07_guardrails" / "data" / "guardrail_config.json").read_text())
        self.guardrail_all = self.bedrock.create_guardrail(**{**config, "name": "scaling-all"})["guardrailId"]
        self.guardrail_content = self.bedrock.create_guardrail(
            name="scaling-content", blockedInputMessaging="Blocked.", blockedOutputsMessaging="Blocked.",
            contentPolicyConfig={"filtersConfig": [
                {"type": t, "inputStrength": "HIGH", "outputStrength": "HIGH"}
                for t in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")]})["guardrailId"]

    def document(self, words: int) -> str:
        """About ``words`` words of prose, different from every earlier document."""
        self._salt += 1
        out, count, i = [f"Document {self._salt}."], 0, 0
        while count < words:
            para = f"(Part {i // len(self.paragraphs) + 1}-{self._salt}.) " + self.paragraphs[i % len(self.paragraphs)]
            out.append(para)
            count += len(para.split())
            i += 1
        return "\n\n".join(out)

    # ---------------------------------------------------------------- the paths
    def _converse(self, prompt: str, **extra) -> dict:
        return self.rt.converse(modelId=self.model, messages=[{"role": "user", "content": [{"text": prompt}]}],
                                inferenceConfig={"maxTokens": 400}, **extra)

    def summary(self, doc: str) -> None:
        self._converse("Summarise this document:\n\n" + doc)

    def question(self, doc: str) -> None:
        self._converse(doc + "\n\nQuestion: What does the document say about the warranty?")

    def extraction_json(self, doc: str) -> None:
        self._converse("Extract the product names and prices as JSON with keys name and price:\n\n" + doc)

    def classification(self, doc: str) -> None:
        self._converse("Classify this text as one of: complaint, question, praise. Answer with the label only.\n\n" + doc)

    def tool_use(self, doc: str) -> None:
        spec = {"name": "lookup_order", "description": "Look up an order by its id.",
                "inputSchema": {"json": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                         "required": ["order_id"]}}}
        self._converse(doc + "\n\nWhere is my order KH-123456?", toolConfig={"tools": [{"toolSpec": spec}]})

    def stream_first_event(self, doc: str) -> float:
        start = time.perf_counter()
        stream = self.rt.converse_stream(
            modelId=self.model, messages=[{"role": "user", "content": [{"text": "Summarise this document:\n\n" + doc}]}],
            inferenceConfig={"maxTokens": 400})["stream"]
        events = iter(stream)
        next(events)
        first = time.perf_counter() - start
        for _ in events:
            pass
        return first

    def guardrail_content_filters(self, doc: str) -> None:
        self.rt.apply_guardrail(guardrailIdentifier=self.guardrail_content, guardrailVersion="DRAFT",
                                source="OUTPUT", content=[{"text": {"text": doc}}])

    def guardrail_all_policies(self, doc: str) -> None:
        self.rt.apply_guardrail(guardrailIdentifier=self.guardrail_all, guardrailVersion="DRAFT",
                                source="INPUT", content=[{"text": {"text": doc}}])

    def converse_with_guardrail(self, doc: str) -> None:
        self._converse("Summarise this document:\n\n" + doc, guardrailConfig={
            "guardrailIdentifier": self.guardrail_all, "guardrailVersion": "DRAFT"})

    def embedding(self, doc: str) -> None:
        body = json.dumps({"inputText": " ".join(doc.split()[:5500])})  # Titan V2 takes up to 8k tokens
        self.rt.invoke_model(modelId=self.embed_model, body=body)

    def paths(self) -> dict[str, Callable[[str], float | None]]:
        return {"summary": self.summary, "question": self.question, "extraction_json": self.extraction_json,
                "classification": self.classification, "tool_use": self.tool_use,
                "stream_first_event": self.stream_first_event,
                "guardrail_content_filters": self.guardrail_content_filters,
                "guardrail_all_policies": self.guardrail_all_policies,
                "converse_with_guardrail": self.converse_with_guardrail}

    def seconds(self, path: str, words: int, repeats: int = 1) -> float:
        """Best of ``repeats`` calls on fresh documents (the path's own figure if it returns one)."""
        fn = self.paths()[path]
        times = []
        for _ in range(repeats):
            doc = self.document(words)
            start = time.perf_counter()
            own = fn(doc)
            times.append(own if own is not None else time.perf_counter() - start)
        return min(times)


def exponent(sizes: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) on log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(max(t, 1e-6)) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="750,7500,75000", help="document sizes in words")
    parser.add_argument("--paths", default="", help="comma-separated subset of the paths")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Workload()
    names = [p for p in (args.paths.split(",") if args.paths else work.paths())]
    for name in names:  # warm up: models, classifiers and tokenizers load on first use
        work.seconds(name, 200)
    from local_bedrock.text.tokens import count_tokens  # the engine's tokenizer (a Llama BPE)

    tokens = [count_tokens(work.document(n)) for n in sizes]
    print(f"Latency against input size, offline engine in-process ({', '.join(f'{n:,} words ~ {t:,} tokens' for n, t in zip(sizes, tokens))})")
    print(f"  {'path':<26}" + "".join(f"{n:>12,}w" for n in sizes) + "   exponent   x per 10x")
    for name in names:
        times = [work.seconds(name, n, repeats=3 if n <= 10_000 else 1) for n in sizes]
        k = exponent(sizes, times)
        print(f"  {name:<26}" + "".join(f"{t:12.3f}s" for t in times) + f"   {k:8.2f}   {10 ** k:8.1f}")
    print("Targets: exponent <= 1.1; summary 15k words <= 0.5 s, 75k <= 2 s; ApplyGuardrail 15k words <= 0.3 s")
    for name, words, target in (("summary", 15_000, 0.5), ("summary", 75_000, 2.0),
                                ("guardrail_all_policies", 15_000, 0.3), ("guardrail_content_filters", 15_000, 0.3)):
        if name in names:
            t = work.seconds(name, words, repeats=3)
            print(f"  {name} at {words:,} words: {t:.3f} s (target <= {target} s) {'ok' if t <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
