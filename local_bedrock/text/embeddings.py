"""Real sentence embeddings offline: WordLlama's 256-d weights, shipped inside its PyPI package.

Larger dimensions are a fixed orthonormal projection of the 256-d vector, so cosine
similarities are exactly preserved whatever dimension a request asks for.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

NATIVE_DIM = 256
_lock = threading.Lock()


_load_lock = threading.Lock()
_loaded = None


def _model():
    """WordLlama, loaded once from the package directory (never from the network).

    Loading is serialised: the tokenizer (local_bedrock.text.tokens) and embed() can ask for the
    model from several threads at once, and two concurrent loads would race on the root-logger
    state saved and restored around `import wordllama` (left at INFO, it prints faiss' import
    messages into notebook cells)."""
    global _loaded
    if _loaded is None:
        with _load_lock:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def _load():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    import wordllama  # its __init__ calls logging.basicConfig(level=INFO): undone below
    from wordllama import WordLlama

    root.handlers[:], root.level = saved[0], saved[1]

    package_dir = Path(wordllama.__file__).parent
    return WordLlama.load(config="l2_supercat", dim=NATIVE_DIM, cache_dir=package_dir,
                          disable_download=True)


@lru_cache(maxsize=8)
def _projection(dimensions: int) -> np.ndarray:
    """A deterministic (dimensions x 256) matrix with orthonormal columns (or rows, when smaller)."""
    rng = np.random.default_rng(20240229 + dimensions)
    a = rng.standard_normal((max(dimensions, NATIVE_DIM), NATIVE_DIM))
    q, _ = np.linalg.qr(a)  # orthonormal columns
    q = q[:, :NATIVE_DIM]
    return q[:dimensions].astype(np.float32)


@lru_cache(maxsize=1)
def _unpadded_tokenizer():
    """A copy of WordLlama's tokenizer without padding (WordLlama pads each batch to its longest
    text, so one long text made every row of its batch long: quadratic cost)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(_model().tokenizer.to_str())
    tok.no_padding()
    tok.no_truncation()
    return tok


def _mean_pool(texts: list[str]) -> np.ndarray:
    """WordLlama's average pooling computed without padding, as a sparse (texts x vocabulary)
    token-count matrix times the embedding table: cost linear in the total number of tokens."""
    from scipy.sparse import csr_matrix

    table = _model().embedding
    ids_per_text = [e.ids for e in _unpadded_tokenizer().encode_batch(texts, add_special_tokens=False)]
    lengths = np.fromiter(map(len, ids_per_text), dtype=np.int64, count=len(texts))
    ids = np.fromiter(chain.from_iterable(ids_per_text), dtype=np.int64, count=int(lengths.sum()))
    np.clip(ids, 0, table.shape[0] - 1, out=ids)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    counts = csr_matrix((np.ones(ids.size, dtype=np.float32), ids, indptr),
                        shape=(len(texts), table.shape[0]))
    sums = np.asarray(counts @ table, dtype=np.float32)
    return sums / np.maximum(lengths, 1)[:, None].astype(np.float32)  # empty text: zero vector


def embed(texts: list[str], dimensions: int = NATIVE_DIM, normalize: bool = True) -> np.ndarray:
    """Embed texts into float32 vectors of the requested dimension (L2-normalised if asked)."""
    if not texts:
        return np.zeros((0, dimensions), dtype=np.float32)
    with _lock:
        vectors = _mean_pool(list(texts))
    if dimensions != NATIVE_DIM:
        vectors = vectors @ _projection(dimensions).T
    if normalize:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
    return vectors


def similarity(a: list[str], b: list[str]) -> np.ndarray:
    """Cosine similarity matrix between two lists of texts."""
    return embed(a) @ embed(b).T
