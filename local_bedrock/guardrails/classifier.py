"""Small text classifiers for the offline guardrail policies, trained in-process when first needed.

The training texts ship as plain text in ``data/train/<label>.txt`` (one short text a line, ``#``
comments; see ``data/README.md``). Nothing learned is stored: the models are fitted from those
texts on first use (3.6-4.5 s, measured in the lab 07 README), so they follow whatever model
:func:`local_bedrock.text.embeddings.embed` serves.

* Features (:class:`Featurizer`): the text's sentence embedding (times :data:`EMBEDDING_WEIGHT`)
  plus words, word pairs and character 3-5-grams within words (after lower-casing and
  "de-leeting"; see :func:`ngrams`) seen in at least two training texts, scaled to unit length.
* Model (:func:`fit_logistic`): one logistic regression per label (L2 penalty :data:`L2`; a
  label's positives weighted up to carry at least :data:`PRIOR` of the weight), solved by
  truncated Newton steps on SciPy sparse matrices. scikit-learn's ``LogisticRegression`` would
  do the same, but importing scikit-learn alone takes 1.3-1.5 s here.
* Labels (:func:`model`): the six content-filter categories, plus one per denied topic of the
  guardrail being evaluated (its definition and examples, and the shipped texts of the domains
  its own words attach it to). One model per topic set, cached.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from local_bedrock.guardrails._text import STOPWORDS
from local_bedrock.text.embeddings import embed

if TYPE_CHECKING:
    from scipy import sparse

DATA = Path(__file__).parent / "data" / "train"
BACKGROUND = Path(__file__).parent / "data" / "background"
EMBEDDING_WEIGHT = 0.75
CHAR_NS = (3, 4, 5)
CHAR_WEIGHT = 2.0
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_LEETY = re.compile(r"[0-9@$]")
_MIXED = re.compile(r"(?=[^\s]*[a-zA-Z])(?=[^\s]*[0-9@$])[^\s]+")  # tokens mixing letters and 0-9@$
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def load_examples(folder: Path = DATA) -> dict[str, list[str]]:
    """label -> texts, from ``<folder>/<label>.txt`` (blank lines and ``#`` comments skipped)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"Guardrail training texts not found in {folder}: reinstall the "
                                "workshop (they ship with local_bedrock/guardrails/data/train/).")
    out = {}
    for path in sorted(folder.glob("*.txt")):
        lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
        out[path.stem] = list(dict.fromkeys(ln for ln in lines if ln and not ln.startswith("#")))
    return out


def normalise(text: str) -> str:
    """Lower-cased, de-leeted ("1gn0re" -> "ignore") text."""
    if _LEETY.search(text):
        text = _MIXED.sub(lambda m: m.group(0).translate(_LEET), text)
    return text.lower()


@lru_cache(maxsize=65536)
def _char_grams(word: str) -> frozenset[str]:
    padded = f" {word} "
    return frozenset(padded[i:i + n] for n in CHAR_NS for i in range(len(padded) - n + 1))


def ngrams(text: str) -> dict[str, float]:
    """Weighted n-grams of a text: words (``"word|"``) and word pairs (``"two words|"``), weight 1,
    and character 3-5-grams inside words (``" wo"``, ``"ord "``), a word's char-grams sharing a
    weight of :data:`CHAR_WEIGHT` so a long word counts no more than a short one. Function words
    ("the", "me", "how") only count inside word pairs."""
    words = _WORD.findall(normalise(text))
    out = dict.fromkeys([w + "|" for w in words if w not in STOPWORDS]
                        + [a + " " + b + "|" for a, b in zip(words, words[1:])], 1.0)
    for w in set(words):
        if w not in STOPWORDS:
            grams = _char_grams(w)
            share = CHAR_WEIGHT / len(grams)
            for g in grams:
                out[g] = out.get(g, 0.0) + share
    return out


class Featurizer:
    """Sentence embedding plus weighted n-grams scaled to unit length (vocabulary: n-grams seen
    in at least ``min_df`` training texts)."""

    def __init__(self, texts: list[str], min_df: int = 2, embedding_weight: float | None = None):
        grams = [ngrams(t) for t in texts]
        counts = Counter(g for gs in grams for g in gs)  # document frequency
        self.vocab = {g: i for i, g in enumerate(sorted(g for g, c in counts.items() if c >= min_df))}
        self.embedding_weight = EMBEDDING_WEIGHT if embedding_weight is None else embedding_weight
        self._train_texts, self._train_grams = list(texts), grams
        self._grams_of: dict[str, tuple[tuple[int, float], ...]] = {}

    def ngram_matrix(self, texts: list[str]) -> sparse.csr_matrix:
        """Weighted n-gram features (:func:`ngrams`), each row scaled to unit length."""
        from scipy import sparse  # imported on first use: it costs ~0.3 s

        same = list(texts) == self._train_texts
        vocab, indptr, cols, vals = self.vocab, [0], [], []
        for feats in (self._train_features() if same else map(self._features, texts)):
            cols += feats.keys()
            vals += feats.values()
            indptr.append(len(cols))
        m = sparse.csr_matrix((np.array(vals), np.array(cols, dtype=np.int64), np.array(indptr)),
                              shape=(len(indptr) - 1, len(vocab)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        m.data /= np.repeat(np.maximum(norms, 1e-12), np.diff(m.indptr))
        return m

    def _train_features(self):
        for gs in self._train_grams:
            yield {i: v for g, v in gs.items() if (i := self.vocab.get(g)) is not None}

    def _features(self, text: str) -> dict[int, float]:
        """:func:`ngrams` of ``text`` as vocabulary columns, each word's char-grams looked up
        once per featurizer (a long document repeats its words in every sentence)."""
        vocab = self.vocab
        words = _WORD.findall(normalise(text))
        feats = {}
        for key in [w + "|" for w in words if w not in STOPWORDS] + \
                   [a + " " + b + "|" for a, b in zip(words, words[1:])]:
            i = vocab.get(key)
            if i is not None:
                feats[i] = 1.0
        for w in set(words):
            if w not in STOPWORDS:
                for i, share in self._word_grams(w):
                    feats[i] = feats.get(i, 0.0) + share
        return feats

    def _word_grams(self, word: str) -> tuple[tuple[int, float], ...]:
        cached = self._grams_of.get(word)
        if cached is None:
            grams = _char_grams(word)
            share = CHAR_WEIGHT / len(grams)
            cached = tuple((i, share) for g in grams if (i := self.vocab.get(g)) is not None)
            if len(self._grams_of) < 200_000:
                self._grams_of[word] = cached
        return cached

    def transform(self, texts: list[str], emb: np.ndarray | None = None) -> sparse.csr_matrix:
        """Rows of [embedding * weight | n-gram features], as one sparse matrix (sparse
        products never start BLAS threads, which are slow on a busy machine). ``emb``: the
        texts' embeddings, if already computed."""
        from scipy import sparse

        emb = embed(list(texts)) if emb is None else emb
        emb = np.asarray(emb, dtype=np.float64) * self.embedding_weight
        return sparse.hstack([sparse.csr_matrix(emb), self.ngram_matrix(texts)], format="csr")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def fit_logistic(x: sparse.csr_matrix, y: np.ndarray, l2: float = 1e-3, prior: float = 0.0,
                 tol: float = 1e-3, max_newton: int = 15, max_cg: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest L2-regularised logistic regressions, one per column of ``y`` (n x labels).

    Minimises, per label, the weighted mean log loss + ``l2/2 * |w|^2`` (bias not penalised);
    with ``prior`` > 0 a label's positives are weighted up to carry at least that share of the
    weight. Truncated Newton: conjugate gradient on the Hessian (all labels at once), stopped when
    the residual falls under ``min(0.5, sqrt|g|) * |g|``, then a backtracking line search; until
    every gradient norm is under ``tol``. Only sparse products: no BLAS threads, which crawl on a
    busy machine.
    Returns ``(weights (features x labels), bias (labels))``."""
    y = np.asarray(y, dtype=np.float64).reshape(x.shape[0], -1)
    n, k = y.shape
    pos = np.maximum(y.sum(axis=0), 1.0)
    scale = np.maximum(1.0, prior * (n - pos) / ((1.0 - prior) * pos)) if prior > 0 else np.ones(k)
    sample_w = np.where(y > 0, scale, 1.0)
    sample_w /= sample_w.sum(axis=0)
    xt = x.T.tocsr()
    w = np.zeros((x.shape[1], k))
    rate = np.clip((sample_w * y).sum(axis=0), 1e-6, 1 - 1e-6)
    b = np.log(rate / (1.0 - rate))  # start from the weighted base rate

    def loss(z: np.ndarray, w_: np.ndarray) -> np.ndarray:
        return (sample_w * (np.logaddexp(0.0, z) - y * z)).sum(axis=0) + 0.5 * l2 * (w_ * w_).sum(axis=0)

    z = np.zeros((n, k)) + b
    for _ in range(max_newton):
        p = _sigmoid(z)
        gw, gb = xt @ (sample_w * (p - y)) + l2 * w, (sample_w * (p - y)).sum(axis=0)
        gnorm = np.sqrt((gw * gw).sum(0) + gb * gb)
        if gnorm.max() < tol:
            break
        d = sample_w * p * (1.0 - p)
        sw, sb = np.zeros_like(w), np.zeros_like(b)
        rw, rb = -gw, -gb
        pw, pb = rw.copy(), rb.copy()
        rr = gnorm ** 2
        stop = np.minimum(0.5, np.sqrt(gnorm)) * gnorm
        for _ in range(max_cg):
            hz = d * (x @ pw + pb)
            hw, hb = xt @ hz + l2 * pw, hz.sum(axis=0)
            alpha = rr / np.maximum((pw * hw).sum(0) + pb * hb, 1e-30)
            sw, sb = sw + alpha * pw, sb + alpha * pb
            rw, rb = rw - alpha * hw, rb - alpha * hb
            rr_new = (rw * rw).sum(0) + rb * rb
            if (np.sqrt(rr_new) <= stop).all():
                break
            beta = rr_new / np.maximum(rr, 1e-30)
            pw, pb, rr = rw + beta * pw, rb + beta * pb, rr_new
        # backtracking, per label: halve the step where the objective does not decrease
        dz = x @ sw + sb
        base, step = loss(z, w), np.ones(k)
        for _ in range(30):
            worse = loss(z + step * dz, w + step * sw) > base
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        w, b, z = w + step * sw, b + step * sb, z + step * dz
    return w, b


class TextClassifier:
    """One-vs-rest logistic regressions over :class:`Featurizer` features of labelled texts."""

    def __init__(self, featurizer: Featurizer, x: sparse.csr_matrix, y: np.ndarray,
                 labels: list[str], l2: float = 1e-3, prior: float = 0.0):
        self.featurizer, self.labels = featurizer, list(labels)
        self.w, self.b = fit_logistic(x, y, l2=l2, prior=prior)

    def predict_features(self, x: sparse.csr_matrix) -> np.ndarray:
        """Probabilities (rows x labels) for already featurised rows."""
        return _sigmoid(x @ self.w + self.b)

    def predict(self, texts: list[str], labels=None) -> dict[str, np.ndarray]:
        """label -> probability per text."""
        labels = list(labels or self.labels)
        if not texts:
            return {lab: np.zeros(0) for lab in labels}
        p = self.predict_features(self.featurizer.transform(texts))
        return {lab: p[:, self.labels.index(lab)] for lab in labels}


L2 = 3e-5  # penalty on the mean log loss (scikit-learn's C ~ 1 / (L2 * n) = 5 for n = 6,400)
PRIOR = 0.2  # each label's positives carry at least 20% of its weight
_lock = threading.RLock()


@lru_cache(maxsize=1)
def examples() -> dict[str, list[str]]:
    """The shipped training texts, label -> texts (cached); the background corpora
    (``data/background/*.txt``: everyday requests, routine requests to many businesses) count
    as benign."""
    out = load_examples()
    out["benign"] = list(dict.fromkeys(out.get("benign", []) + background()))
    return out


@lru_cache(maxsize=1)
def background() -> list[str]:
    """Harmless texts of no particular business: the negatives every label is calibrated on."""
    texts: list[str] = []
    for path in sorted(BACKGROUND.glob("*.txt")):
        lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
        texts += [ln for ln in lines if ln and not ln.startswith("#")]
    return list(dict.fromkeys(texts))


@lru_cache(maxsize=1)
def _base() -> tuple[list[str], Featurizer, sparse.csr_matrix]:
    """Every shipped text, the featurizer built on them, and their feature rows."""
    texts = list(dict.fromkeys(t for ts in examples().values() for t in ts))
    featurizer = Featurizer(texts)
    return texts, featurizer, featurizer.transform(texts)


def featurizer() -> Featurizer:
    with _lock:
        return _base()[1]


CONTENT_LABELS = ("prompt_attack", "misconduct", "violence", "hate", "insults", "sexual")
Topic = tuple[str, tuple[str, ...], tuple[str, ...]]  # (name, reference texts, domains)
_models: OrderedDict[tuple[Topic, ...], TextClassifier] = OrderedDict()
_MODELS_MAX = 16


def model(topics: tuple[Topic, ...] = ()) -> TextClassifier:
    """The classifier for the content labels (:data:`CONTENT_LABELS`) plus a guardrail's denied
    topics (labels ``"topic:<name>"``), trained once per process and topic set.

    A topic is ``(name, reference texts, domains)``: its positives are its references (name +
    definition, examples) plus the shipped ``topic_<domain>`` texts of its domains; every other
    text is a negative. Content labels are fitted on the shipped texts (the topic references count
    as negatives). All labels are fitted together: one solver run costs less than two."""
    from scipy import sparse

    with _lock:
        if topics in _models:
            _models.move_to_end(topics)
            return _models[topics]
        texts, feat, x = _base()
        known = set(texts)
        refs = list(dict.fromkeys(r for _, rs, _ in topics for r in rs if r not in known))
        all_texts = texts + refs
        if refs:
            x = sparse.vstack([x, feat.transform(refs)], format="csr")
        positives = [set(examples().get(lab, [])) for lab in CONTENT_LABELS]
        positives += [set(rs).union(*(examples().get("topic_" + d, []) for d in domains))
                      for _, rs, domains in topics]
        y = np.array([[t in pos for pos in positives] for t in all_texts], dtype=np.float64)
        labels = [*CONTENT_LABELS, *("topic:" + name for name, _, _ in topics)]
        m = TextClassifier(feat, x, y, labels, l2=L2, prior=PRIOR)
        _models[topics] = m
        while len(_models) > _MODELS_MAX:
            _models.popitem(last=False)
        return m


def warm_up(topics: tuple[Topic, ...] = ()) -> None:
    """Train :func:`model` for these topics in a background thread unless it is ready; callers
    of :func:`model` wait for it on the lock."""
    with _lock:
        if topics in _models or topics in _warming:
            return
        _warming.add(topics)

    def run() -> None:
        try:
            model(topics)
        finally:
            with _lock:
                _warming.discard(topics)

    threading.Thread(target=run, name="guardrail-classifier-warm-up", daemon=True).start()


_warming: set[tuple[Topic, ...]] = set()
_predictions: OrderedDict[tuple, np.ndarray] = OrderedDict()  # (topics, unit) -> probabilities
_PREDICTIONS_MAX = 50_000


def predict_units(texts: list[str], embeddings: np.ndarray, topics: tuple[Topic, ...] = ()) -> dict[str, np.ndarray]:
    """label -> probability for each of ``texts`` (the units of one input: the whole text
    first). Each unit's prediction is cached, so the content filters and the denied topics of
    one request, and the same prompt under several guardrails, share it."""
    m = model(topics)
    rows: list[np.ndarray | None] = [None] * len(texts)
    with _lock:
        for i, t in enumerate(texts):
            row = _predictions.get((topics, t))
            if row is not None:
                _predictions.move_to_end((topics, t))
                rows[i] = row
    missing = [i for i, r in enumerate(rows) if r is None]
    if missing:
        probs = m.predict_features(m.featurizer.transform([texts[i] for i in missing],
                                                          np.asarray(embeddings)[missing]))
        with _lock:
            for j, i in enumerate(missing):
                rows[i] = _predictions[(topics, texts[i])] = probs[j]
            while len(_predictions) > _PREDICTIONS_MAX:
                _predictions.popitem(last=False)
    table = np.vstack(rows) if rows else np.zeros((0, len(m.labels)))
    return {lab: table[:, j] for j, lab in enumerate(m.labels)}
