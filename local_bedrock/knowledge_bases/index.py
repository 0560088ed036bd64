"""The workshop's own search index: vectors on faiss-cpu directly, keywords on rank-bm25.

Used by the engine's offline knowledge bases and, through `utils.rag`, by the notebooks, so
both search the same way. It depends on faiss-cpu and rank-bm25 only (not on LangChain).

- `VectorIndex`: cosine similarity (inner product of L2-normalised vectors). `kind="flat"` is
  exact (IndexFlatIP); `kind="ivf"` (IndexIVFFlat) clusters the vectors into `nlist` cells and
  searches the `nprobe` nearest cells (default nlist = sqrt(n), nprobe = 16): approximate,
  much faster on large collections.
- `KeywordIndex`: BM25 (Okapi) over lower-cased word tokens without stop words.
- `rrf`: reciprocal rank fusion of several rankings (the hybrid search of this workshop).
- `ChunkIndex`: chunks + both indexes + an embedding function, searched semantically,
  by keywords or hybrid.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
STOP_WORDS = frozenset("""a an the and or but if of to in on at for with by from as is are was were
be been being it its this that these those what which who whom whose when where why how do does
did can could should would will shall may might must i you he she we they me him her us them my
your our their there here into over under up down out so such very just also only than then
about any all some not no yes own same other after before while during each per via""".split())


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (numbers like 4,200 or 3.5.0 kept whole), stop words removed."""
    words = _TOKEN.findall(text.lower())
    return [_stem(w) for w in words if w not in STOP_WORDS]


def _stem(word: str) -> str:
    """A very light stemmer: plural and common verb endings (so 'lasts' matches 'last')."""
    if len(word) > 4 and not word[0].isdigit():
        for suffix in ("ies", "es", "s", "ing", "ed"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _faiss():
    import faiss

    return faiss


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (cosine similarity becomes inner product)."""
    v = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class VectorIndex:
    """Cosine-similarity search over vectors with faiss (exact flat, or approximate IVF)."""

    def __init__(self, dim: int, kind: str = "flat", nlist: int | None = None, nprobe: int = 16):
        if kind not in ("flat", "ivf"):
            raise ValueError("kind must be 'flat' (exact) or 'ivf' (approximate)")
        self.dim, self.kind, self.nlist, self.nprobe = dim, kind, nlist, nprobe
        self._index = None if kind == "ivf" else _faiss().IndexFlatIP(dim)

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat", **options) -> "VectorIndex":
        """An index holding `vectors` (row i gets id i)."""
        vectors = normalize(vectors)
        index = cls(vectors.shape[1], kind, **options)
        index.add(vectors)
        return index

    def add(self, vectors: np.ndarray) -> None:
        """Add vectors (normalised here); ids continue from len(self). IVF trains on first add."""
        vectors = normalize(vectors)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have {vectors.shape[1]} dimensions, index has {self.dim}")
        if self._index is None:
            faiss = _faiss()
            nlist = self.nlist or max(1, min(4096, int(np.sqrt(len(vectors))), len(vectors) // 39))
            nlist = min(nlist, len(vectors))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if len(vectors) > 64 * nlist:  # k-means needs ~40-256 points per cell, not all
                rows = np.random.default_rng(0).choice(len(vectors), 64 * nlist, replace=False)
                sample = vectors[np.sort(rows)]
            index.train(sample)
            index.nprobe = min(self.nprobe, nlist)
            self.nlist, self._index, self._quantizer = nlist, index, quantizer
        self._index.add(vectors)

    def search(self, queries: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) arrays of shape (n_queries, k); missing hits have id -1."""
        if self._index is None or len(self) == 0:
            q = np.atleast_2d(queries)
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        return self._index.search(normalize(queries), min(k, len(self)))

    def save(self, path: str | Path) -> None:
        """Write the faiss index and its settings (`path` and `path.json`)."""
        path = Path(path)
        _faiss().write_index(self._index, str(path))
        path.with_suffix(path.suffix + ".json").write_text(json.dumps(
            {"dim": self.dim, "kind": self.kind, "nlist": self.nlist, "nprobe": self.nprobe}))

    @classmethod
    def load(cls, path: str | Path) -> "VectorIndex":
        """Read an index written by `save`."""
        path = Path(path)
        cfg = json.loads(path.with_suffix(path.suffix + ".json").read_text())
        index = cls(cfg["dim"], cfg["kind"], cfg["nlist"], cfg["nprobe"])
        index._index = _faiss().read_index(str(path))
        if cfg["kind"] == "ivf":
            index._index.nprobe = cfg["nprobe"]
        return index


class KeywordIndex:
    """BM25 (Okapi) keyword search with rank-bm25."""

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75):
        from rank_bm25 import BM25Okapi

        self.size = len(texts)
        corpus = [tokenize(t) or ["_"] for t in texts]
        self._bm25 = BM25Okapi(corpus, k1=k1, b=b) if corpus else None

    def __len__(self) -> int:
        return self.size

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for the query."""
        if self._bm25 is None:
            return np.zeros(0)
        return np.asarray(self._bm25.get_scores(tokenize(query)), dtype=np.float64)

    def search(self, query: str, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best texts with a positive score."""
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:k]
        order = order[s[order] > 0]
        return s[order], order


def rrf(rankings: Sequence[Sequence[int]], k: int = 60,
        weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score(d) = sum_i w_i / (k + rank_i(d)), best first."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass
class Hit:
    """One search result: the item (e.g. a Chunk), its score and its position in the index."""

    item: Any
    score: float
    id: int


class ChunkIndex:
    """Items with a `.text` (chunks), searchable by meaning, by keywords, or both (hybrid)."""

    def __init__(self, items: Sequence[Any], embed: Callable[[list[str]], np.ndarray],
                 vectors: np.ndarray | None = None, kind: str = "flat", **options):
        self.items = list(items)
        self.embed = embed
        texts = [getattr(i, "text", i) for i in self.items]
        if vectors is None:
            vectors = embed(texts) if texts else np.zeros((0, 1), np.float32)
        self.vectors = normalize(vectors) if len(texts) else vectors
        self.vector_index = VectorIndex.build(self.vectors, kind, **options) if texts else None
        self.keyword_index = KeywordIndex(texts)

    def __len__(self) -> int:
        return len(self.items)

    def semantic(self, query: str | np.ndarray, k: int = 5) -> list[Hit]:
        """Nearest items by cosine similarity of embeddings."""
        if not self.items:
            return []
        qv = self.embed([query]) if isinstance(query, str) else query
        scores, ids = self.vector_index.search(qv, k)
        return [Hit(self.items[i], float(s), int(i)) for s, i in zip(scores[0], ids[0], strict=True)
                if i >= 0]

    def keyword(self, query: str, k: int = 5) -> list[Hit]:
        """Best items by BM25."""
        scores, ids = self.keyword_index.search(query, k)
        return [Hit(self.items[i], float(s), int(i)) for s, i in zip(scores, ids, strict=True)]

    def hybrid(self, query: str, k: int = 5, depth: int = 50, rrf_k: int = 60) -> list[Hit]:
        """Reciprocal rank fusion of the semantic and keyword rankings (top `depth` of each)."""
        sem = [h.id for h in self.semantic(query, depth)]
        kw = [h.id for h in self.keyword(query, depth)]
        return [Hit(self.items[i], s, i) for i, s in rrf([sem, kw], rrf_k)[:k]]

    def search(self, query: str, k: int = 5, mode: str = "semantic") -> list[Hit]:
        """Search in one of the modes 'semantic', 'keyword' or 'hybrid'."""
        if mode not in ("semantic", "keyword", "hybrid"):
            raise ValueError("mode must be 'semantic', 'keyword' or 'hybrid'")
        return getattr(self, mode)(query, k)
