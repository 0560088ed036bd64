"""Real sentence embeddings offline: WordLlama's 256-d weights, shipped inside its PyPI package.

Larger dimensions are a fixed orthonormal projection of the 256-d vector, so cosine
similarities are exactly preserved whatever dimension a request asks for.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
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


SMALL_GATHER = 4096  # tokens
CHUNK_CHARS = 4000  # BPE over one very long string grows faster than its length


def _chunks(text: str) -> list[str]:
    """``text`` cut before spaces into pieces of at most about CHUNK_CHARS characters."""
    out, i = [], 0
    while i < len(text):
        j = min(len(text), i + CHUNK_CHARS)
        if j < len(text):
            k = text.rfind(" ", i + 1, j)
            j = k if k > i else j
        out.append(text[i:j])
        i = j
    return out


_IDS_CACHE: OrderedDict[str, list[int]] = OrderedDict()
_IDS_CACHE_MAX = 20_000
_ids_lock = threading.Lock()


def _token_ids(texts: list[str]) -> list[list[int]]:
    """Token ids of each text, cached per text (the guardrail policies tokenize the same units
    several times per request)."""
    with _ids_lock:
        found = {t: _IDS_CACHE[t] for t in texts if t in _IDS_CACHE}
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        new = dict(zip(missing, _encode(missing), strict=True))
        with _ids_lock:
            _IDS_CACHE.update(new)
            while len(_IDS_CACHE) > _IDS_CACHE_MAX:
                _IDS_CACHE.popitem(last=False)
        found.update(new)
    return [found[t] for t in texts]


def _encode(texts: list[str]) -> list[list[int]]:
    """Token ids of each text; long texts are encoded in pieces cut at spaces (the piece's
    leading lone "▁" dropped), which gives the whole text's ids but for rare merges."""
    pieces, owner = [], []
    for n, t in enumerate(texts):
        parts = _chunks(t) if len(t) > CHUNK_CHARS else [t]
        pieces += parts
        owner += [n] * len(parts)
    tok = _unpadded_tokenizer()
    if len(pieces) == 1:  # encode_batch's thread pool costs more than one short text
        return [tok.encode(pieces[0], add_special_tokens=False).ids]
    space = tok.token_to_id("\u2581")
    out: list[list[int]] = [[] for _ in texts]
    for k, (piece, enc) in enumerate(zip(pieces, tok.encode_batch(pieces, add_special_tokens=False))):
        ids = enc.ids
        if k and owner[k - 1] == owner[k] and piece.startswith(" ") and ids[:1] == [space]:
            ids = ids[1:]
        out[owner[k]] += ids
    return out


def _mean_pool(texts: list[str], token_weights: dict[int, float] | None = None) -> np.ndarray:
    """WordLlama's average pooling computed without padding, as a sparse (texts x vocabulary)
    token-count matrix times the embedding table: cost linear in the total number of tokens.
    ``token_weights`` (token id -> weight, others 1.0) makes it a weighted mean."""
    from scipy.sparse import csr_matrix

    table = _model().embedding
    ids_per_text = _token_ids(texts)
    lengths = np.fromiter(map(len, ids_per_text), dtype=np.int64, count=len(texts))
    ids = np.fromiter(chain.from_iterable(ids_per_text), dtype=np.int64, count=int(lengths.sum()))
    np.clip(ids, 0, table.shape[0] - 1, out=ids)
    weights = np.ones(ids.size, dtype=np.float32)
    if token_weights:
        hit = np.isin(ids, np.fromiter(token_weights.keys(), dtype=np.int64))
        weights[hit] = [token_weights[int(i)] for i in ids[hit]]
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    totals = np.add.reduceat(weights, indptr[:-1]) if ids.size else np.zeros(len(texts), np.float32)
    totals[lengths == 0] = 1.0  # an empty text pools to the zero vector, as in WordLlama
    if ids.size <= SMALL_GATHER and not token_weights:  # a few short texts: gather rows instead
        sums = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        rows = np.flatnonzero(lengths)
        if rows.size:
            sums[rows] = np.add.reduceat(table[ids], indptr[:-1][rows], axis=0)
    else:
        counts = csr_matrix((weights, ids, indptr), shape=(len(texts), table.shape[0]))
        sums = np.asarray(counts @ table, dtype=np.float32)
    return sums / totals[:, None].astype(np.float32)


def embed_weighted(texts: list[str], token_weights: dict[int, float]) -> np.ndarray:
    """L2-normalised 256-d embeddings whose pooling weighs the given token ids (others 1.0)."""
    if not texts:
        return np.zeros((0, NATIVE_DIM), dtype=np.float32)
    with _lock:
        vectors = _mean_pool(list(texts), token_weights)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def token_ids_of_word(word: str) -> set[int]:
    """The token ids a word is written with, in its usual casings, with and without a leading space."""
    tok = _unpadded_tokenizer()
    space = tok.token_to_id("\u2581")
    out: set[int] = set()
    for variant in {word, word.lower(), word.capitalize(), word.upper()}:
        for text in (variant, " " + variant):
            out.update(i for i in tok.encode(text, add_special_tokens=False).ids if i != space)
    return out


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
