"""Retrieval benchmark for lab 03: embedding throughput, index build and query latency, recall.

    .venv/bin/python -m benchmarks.retrieval                 # 1k, 10k, 100k synthetic chunks
    .venv/bin/python -m benchmarks.retrieval --sizes 1000,10000 --queries 200
    .venv/bin/python -m benchmarks.retrieval --qa-only --compare minilm   # other embeddings
    WORKSHOP_MODE=live .venv/bin/python -m benchmarks.retrieval --qa-only --compare titan

Prints, for the machine it runs on:
- local embedding throughput (texts/s), batched (how the engine embeds) against one model call
  per text (baseline, same process), and through bedrock-runtime InvokeModel in-process;
- for each collection size (synthetic chunks generated from the corpus' sentences with numbers
  and names varied): index build time and single-query search latency p50/p95 for an exact
  flat index (IndexFlatIP) and an approximate IVF index (IndexIVFFlat, nlist = sqrt(n),
  nprobe = 16 by default), with the IVF index's recall@5 against the exact one;
- recall@5 and MRR on the shipped QA set (answerable questions, document level, chunks of
  300 tokens with 20% overlap) for BM25, embeddings and hybrid (reciprocal rank fusion);
  with --compare, the same for other embedding models: all-MiniLM-L6-v2 (a sentence
  transformer, run in numpy from an optional package) and Titan Text Embeddings V2 through
  bedrock-runtime in the workshop's mode (live: the real model);
- the issue's targets, each marked met or missed.
Figures vary with the machine and its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from local_bedrock.knowledge_bases import chunking, documents  # noqa: E402
from local_bedrock.knowledge_bases.index import ChunkIndex, VectorIndex  # noqa: E402
from local_bedrock.knowledge_bases.models import embed_batched  # noqa: E402
from local_bedrock.text import embeddings  # noqa: E402
from local_bedrock.text.responder import sentences  # noqa: E402

CORPUS = REPO / "03_knowledge_bases" / "data" / "corpus"
QA = REPO / "03_knowledge_bases" / "data" / "qa.jsonl"
NAMES = ("Wren", "Heron", "Kite", "Sparrow", "Hub", "Kestrel")
SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vel", "sa", "dun", "pri", "zo", "ell", "quin")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import faiss

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} cores, load average {load}; Python "
            f"{platform.python_version()}, numpy {np.__version__}, faiss-cpu {faiss.__version__}")


def synthetic_chunks(n: int, seed: int = 7) -> list[str]:
    """n distinct chunk-sized texts: corpus sentences recombined, numbers and names varied."""
    pool = [s for d in documents.load_corpus(CORPUS) for s in sentences(d.text) if len(s) > 30]
    rng = random.Random(seed)
    names = ["".join(rng.choice(SYLLABLES) for _ in range(3)).title() for _ in range(500)]
    name_re = re.compile(r"\b(" + "|".join(NAMES) + r")\b")
    out = []
    for i in range(n):
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(4, 8)))
        text = re.sub(r"\d+", lambda m: str(rng.randint(1, 9999)), text)
        out.append(f"[{i}] " + name_re.sub(lambda m: rng.choice(names), text))
    return out


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def _rate(fn, n: int) -> tuple[float, float]:
    """(texts per wall-clock second, texts per CPU second of this process) for fn()."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return n / (time.perf_counter() - wall), n / max(time.process_time() - cpu, 1e-9)


def embedding_throughput(texts: list[str], dims: int) -> dict:
    embeddings.embed(texts[:8], dims)  # load the model and the projection first
    batched = _rate(lambda: embed_batched(texts, dims), len(texts))
    one = texts[:500]
    single = _rate(lambda: [embeddings.embed([t], dims) for t in one], len(one))
    return {"batched": batched, "single": single}


def _warm(dims: int) -> None:
    embeddings.embed(["warm up"], dims)


def _embed_part(args: tuple[list[str], int]) -> int:
    texts, dims = args
    return len(embed_batched(texts, dims))


def parallel_throughput(texts: list[str], dims: int, workers: int) -> float:
    """Texts/s with `workers` processes, each with its own model (the engine's lock serialises
    embedding within one process). Model loading is excluded (initializer)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_warm, initargs=(dims,)) as pool:
        pool.map(_embed_part, [(["warm"], dims)] * workers)
        parts = [texts[i::workers] for i in range(workers)]
        start = time.perf_counter()
        pool.map(_embed_part, [(p, dims) for p in parts])
        return len(texts) / (time.perf_counter() - start)


def invoke_model_throughput(texts: list[str], dims: int) -> float:
    """Texts/s through boto3 bedrock-runtime InvokeModel, answered in-process by the engine."""
    import boto3
    from botocore.config import Config

    from local_bedrock import Engine, InProcessTransport

    endpoint = "http://127.0.0.1:9"
    client = boto3.client("bedrock-runtime", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench",
                          config=Config(retries={"max_attempts": 1}))
    InProcessTransport(Engine(), endpoint).attach(client)
    model = "amazon.titan-embed-text-v2:0"
    client.invoke_model(modelId=model, body=json.dumps({"inputText": "warm", "dimensions": dims}))
    t = time.perf_counter()
    for text in texts:
        client.invoke_model(modelId=model, body=json.dumps({"inputText": text, "dimensions": dims}))
    return len(texts) / (time.perf_counter() - t)


def index_figures(vectors: np.ndarray, queries: np.ndarray, k: int = 5, nprobe: int = 16) -> dict:
    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time: measure one core's latency
    out = {}
    exact_ids = None
    for kind in ("flat", "ivf"):
        t = time.perf_counter()
        index = VectorIndex.build(vectors, kind, nprobe=nprobe) if kind == "ivf" \
            else VectorIndex.build(vectors, kind)
        build = time.perf_counter() - t
        ms, cpu_ms, ids = [], [], []
        for q in queries:
            t, c = time.perf_counter(), time.thread_time()
            _, found = index.search(q[None, :], k)
            cpu_ms.append((time.thread_time() - c) * 1000)
            ms.append((time.perf_counter() - t) * 1000)
            ids.append(found[0])
        p50, p95 = percentiles(ms)
        c50, c95 = percentiles(cpu_ms)
        row = {"build_s": build, "p50_ms": p50, "p95_ms": p95, "cpu_p50_ms": c50, "cpu_p95_ms": c95}
        if kind == "flat":
            exact_ids = ids
        else:
            row["recall_vs_flat"] = float(np.mean(
                [len(set(a) & set(b)) / k for a, b in zip(ids, exact_ids, strict=True)]))
            row["nlist"], row["nprobe"] = index.nlist, index.nprobe
        out[kind] = row
        del index
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return out


def qa_recall(embed_fn, k: int = 5) -> dict:
    """Document-level recall@k and MRR on the shipped QA set for BM25, embeddings and hybrid."""
    docs = documents.load_corpus(CORPUS)
    chunks = chunking.chunk_documents(docs, "fixed_tokens", max_tokens=300, overlap_pct=20)
    index = ChunkIndex(chunks, embed_fn)
    qa = [json.loads(line) for line in QA.read_text().splitlines() if line.strip()]
    qa = [r for r in qa if r["doc_ids"]]
    out = {}
    for label, mode in (("BM25", "keyword"), ("embeddings", "semantic"), ("hybrid (RRF)", "hybrid")):
        recalls, rr = [], []
        for r in qa:
            ranked = list(dict.fromkeys(h.item.doc_id for h in index.search(r["question"], 20, mode)))
            gold = set(r["doc_ids"])
            recalls.append(len(gold & set(ranked[:k])) / len(gold))
            rr.append(next((1 / i for i, d in enumerate(ranked, 1) if d in gold), 0.0))
        out[label] = {"recall@5": float(np.mean(recalls)), "MRR": float(np.mean(rr))}
    out["questions"] = len(qa)
    out["chunks"] = len(chunks)
    return out


def titan_embedder(dims: int):
    """Titan Text Embeddings V2 through boto3 bedrock-runtime in the workshop's mode
    (WORKSHOP_MODE=live: the real model, one InvokeModel per text, a few cents at most)."""
    import boto3

    import utils
    from utils.rag import BedrockEmbedder

    ws = utils.setup(quiet=True)
    return BedrockEmbedder(client=boto3.client("bedrock-runtime", region_name=ws.region), dimensions=dims)


def comparison_embedder(name: str, dims: int):
    """(label, embed function) for a --compare choice."""
    if name == "minilm":
        from benchmarks import minilm

        return "all-MiniLM-L6-v2 (numpy, 384-d)", minilm.embed
    if name == "titan":
        fn = titan_embedder(dims)
        import utils

        return f"Titan V2 via bedrock-runtime ({utils.current().mode} mode, {dims}-d)", fn
    raise SystemExit(f"unknown --compare {name!r}: use minilm or titan")


def print_qa(qa: dict, label: str) -> None:
    print(f"QA set, embeddings from {label}: {qa['questions']} answerable questions, "
          f"{qa['chunks']} chunks (FIXED_SIZE 300 tokens, 20% overlap), document-level")
    for row in ("BM25", "embeddings", "hybrid (RRF)"):
        print(f"  {row:<13} recall@5 {qa[row]['recall@5']:.3f}   MRR {qa[row]['MRR']:.3f}")
    print()


def qa_section(args) -> dict:
    """Recall on the QA set with the local model, then with each --compare model."""
    qa = qa_recall(lambda texts: embed_batched(texts, args.dims))
    print_qa(qa, f"the local engine (WordLlama, {args.dims}-d)")
    for name in filter(None, args.compare.split(",")):
        label, fn = comparison_embedder(name, args.dims)
        try:
            t = time.perf_counter()
            other = qa_recall(fn)
        except Exception as exc:  # noqa: BLE001 - a comparison row must not stop the benchmark
            from utils.errors import explain

            print(f"QA set, embeddings from {label}: not measured: {explain(exc) or exc}\n")
            continue
        print_qa(other, label + f", {time.perf_counter() - t:.0f} s")
    return qa


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--dims", type=int, default=1024, help="embedding dimensions (Titan V2: 256, 512, 1024)")
    parser.add_argument("--queries", type=int, default=300, help="queries timed per index")
    parser.add_argument("--nprobe", type=int, default=16, help="IVF cells searched per query")
    parser.add_argument("--qa-only", action="store_true", help="only the QA-set recall section")
    parser.add_argument("--compare", default="", help="also measure QA recall with other "
                        "embeddings: minilm (optional package, see benchmarks/minilm.py), titan "
                        "(bedrock-runtime in WORKSHOP_MODE; live = the real model); comma-separated")
    args = parser.parse_args(argv)
    if args.qa_only:
        qa_section(args)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Machine: {machine()}")
    print(f"Embeddings: local WordLlama (256-d) projected to {args.dims}-d, as the offline engine "
          "serves Titan Text Embeddings V2.\n")

    texts = synthetic_chunks(max(sizes))
    thr = embedding_throughput(texts[:5000], args.dims)
    workers = os.cpu_count() or 1
    parallel = parallel_throughput(texts[:5000], args.dims, workers) if workers > 1 else thr["batched"][0]
    via_api = invoke_model_throughput(texts[:300], args.dims)
    words = np.mean([len(t.split()) for t in texts[:5000]])
    print(f"Embedding throughput, texts of {words:.0f} words on average "
          "(per wall-clock second | per CPU second)")
    print(f"  batched, 512 texts per model call   {thr['batched'][0]:>7,.0f} | {thr['batched'][1]:>7,.0f}")
    print(f"  batched, {workers} processes               {parallel:>7,.0f}"
          f"           (one model per process; all {workers} cores)")
    print(f"  one model call per text (baseline)  {thr['single'][0]:>7,.0f} | {thr['single'][1]:>7,.0f}"
          f"   batched/baseline {thr['batched'][1] / thr['single'][1]:.2f}x (CPU)")
    print(f"  boto3 InvokeModel per text (engine) {via_api:>7,.0f}"
          "           (Titan V2 embeds one text per call)\n")

    t = time.perf_counter()
    vectors = embed_batched(texts, args.dims)
    embed_s = time.perf_counter() - t
    print(f"Embedded {len(texts):,} synthetic chunks in {embed_s:.1f} s "
          f"({len(texts) / embed_s:,.0f} texts/s, end to end)\n")
    rng = np.random.default_rng(1)
    qa_questions = [json.loads(line)["question"] for line in QA.read_text().splitlines() if line]
    query_texts = (qa_questions * (args.queries // len(qa_questions) + 1))[:args.queries]
    queries = embed_batched(query_texts, args.dims)
    queries = queries + rng.normal(0, 0.01, queries.shape).astype(np.float32)  # no exact repeats

    print(f"Index build and single-query search latency (k=5, {args.dims}-d, 1 thread, "
          f"{args.queries} queries; wall clock, and CPU time of the searching thread)")
    header = (f"  {'chunks':>8}  {'index':<5} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'cpu p50':>8} {'cpu p95':>8}  notes")
    print(header)
    results = {}
    for n in sizes:
        figs = index_figures(vectors[:n], queries, nprobe=args.nprobe)
        results[n] = figs
        for kind, row in figs.items():
            note = (f"nlist {row['nlist']}, nprobe {row['nprobe']}, recall@5 vs flat "
                    f"{row['recall_vs_flat']:.3f}") if kind == "ivf" else "exact"
            print(f"  {n:>8,}  {kind:<5} {row['build_s']:>8.3f} {row['p50_ms']:>8.3f} "
                  f"{row['p95_ms']:>8.3f} {row['cpu_p50_ms']:>8.3f} {row['cpu_p95_ms']:>8.3f}  {note}")
    print()

    qa = qa_section(args)

    big = max(sizes)
    print("Targets")
    checks = [
        (f">= 2,000 embeddings/s on {workers} cores (batched, {workers} processes, wall clock)",
         parallel >= 2000, f"{parallel:,.0f}/s (one process: {thr['batched'][0]:,.0f}/s, "
                           f"{thr['batched'][1]:,.0f} per CPU second)"),
        (f"query p95 < 5 ms at {big:,} chunks, flat (wall)", results[big]["flat"]["p95_ms"] < 5,
         f"{results[big]['flat']['p95_ms']:.2f} ms (CPU {results[big]['flat']['cpu_p95_ms']:.2f} ms)"),
        (f"query p95 < 5 ms at {big:,} chunks, IVF (wall)", results[big]["ivf"]["p95_ms"] < 5,
         f"{results[big]['ivf']['p95_ms']:.2f} ms (CPU {results[big]['ivf']['cpu_p95_ms']:.2f} ms)"),
        ("embeddings recall@5 >= BM25 recall@5",
         qa["embeddings"]["recall@5"] >= qa["BM25"]["recall@5"],
         f"{qa['embeddings']['recall@5']:.3f} vs {qa['BM25']['recall@5']:.3f}"),
    ]
    for label, ok, value in checks:
        print(f"  [{'met' if ok else 'MISSED':>6}] {label}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
