"""Lab 05's small image helpers: base64 <-> Pillow, the lab's pictures, compact image grids.

Bedrock's image APIs carry pictures as base64 strings inside JSON (InvokeModel) or as raw
bytes (Converse). These helpers keep the notebooks short; each is a few lines of Pillow.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from PIL import Image

DATA = Path(__file__).resolve().parent / "data"
IMAGES = DATA / "images"


def to_b64(img: Image.Image, fmt: str = "PNG") -> str:
    """A Pillow image as the base64 string Bedrock's image bodies expect."""
    buf = io.BytesIO()
    img.save(buf, fmt)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def from_b64(data: str) -> Image.Image:
    """A base64 string from a response body as a Pillow image."""
    img = Image.open(io.BytesIO(base64.b64decode(data)))
    img.load()
    return img


def to_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    """Raw image bytes, as Converse's image blocks take them."""
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def load(name: str) -> Image.Image:
    """One of the lab's pictures (data/images/<name>, or data/<name>)."""
    path = IMAGES / name if (IMAGES / name).exists() else DATA / name
    img = Image.open(path)
    img.load()
    return img


def captions() -> dict[str, str]:
    """What each picture in data/images shows (hand-written ground truth)."""
    return json.loads((DATA / "images.json").read_text())


def grid(images: list[Image.Image], titles: list[str] | None = None, cols: int = 4,
         inch: float = 1.9):
    """Show images side by side as small thumbnails (keeps notebooks light)."""
    import matplotlib.pyplot as plt

    rows = (len(images) + cols - 1) // cols
    fig, axes = plt.subplots(rows, min(cols, len(images)), dpi=80, squeeze=False,
                             figsize=(inch * min(cols, len(images)), inch * rows + 0.3))
    for ax in axes.ravel():
        ax.axis("off")
    for i, img in enumerate(images):
        thumb = img.copy()
        thumb.thumbnail((256, 256))
        ax = axes.ravel()[i]
        ax.axis("on")  # a thin frame, so white images stay visible
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#bbbbbb")
        ax.imshow(thumb)
        if titles:
            ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    plt.show()
