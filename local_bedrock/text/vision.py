"""Image and document understanding offline: what the local engine can *measure*, said plainly.

The engine is not a vision model. It cannot recognise objects, people or text inside an image.
What it does for real, with Pillow and numpy, is measure each image or document a request
carries and answer from those measurements:

- images: pixel size, actual format (and whether it matches the declared one), file size,
  dominant colours (median-cut quantisation, named by nearest CIELAB colour), brightness and
  contrast (luma), colourfulness (Hasler-Suesstrunk), edge density (share of strong gradients),
  transparency, and a simple layout cue: the border colour and how much of the frame differs
  from it (an object on a plain background), with its centre.
- documents: pages (PDF), characters and words of the extracted text; sentences that best
  match the question, ranked with the engine's real sentence embeddings.

`describe(req)` answers a Converse request that carries image or document blocks.
`image_vector(data)` gives Titan Multimodal Embeddings' offline stand-in: a 256-d vector in the
same space as the text embeddings (a caption of the measurements, embedded as text, plus a
colour/texture descriptor). Cross-modal search with it is weak: it only knows colours,
brightness and texture words.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter, UnidentifiedImageError

from local_bedrock.errors import validation

HEADER = ("Measured, not seen: the offline engine is not a vision model. It cannot recognise "
          "objects, people or text in images; it measured them.")
MAX_IMAGES = 20  # Converse: up to 20 images per request
MAX_DOCUMENTS = 5  # Converse: up to 5 documents per request
_ANALYSIS_SIDE = 256  # measurements run on a copy at most this many pixels on its long side

# Named colours (sRGB) the measurements use; nearest in CIELAB wins.
COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (15, 15, 15), "dark grey": (70, 70, 70), "grey": (128, 128, 128),
    "light grey": (195, 195, 195), "white": (245, 245, 245),
    "red": (205, 35, 35), "dark red": (120, 20, 25), "pink": (240, 150, 180),
    "magenta": (200, 40, 160), "orange": (240, 135, 30), "brown": (115, 70, 35),
    "beige": (225, 200, 155), "yellow": (240, 215, 40), "olive": (120, 120, 30),
    "green": (55, 160, 65), "dark green": (25, 80, 35), "light green": (150, 215, 120),
    "teal": (20, 128, 128), "cyan": (60, 200, 220), "light blue": (150, 195, 240),
    "blue": (40, 90, 210), "navy": (20, 30, 90), "purple": (125, 55, 165),
    "lavender": (185, 160, 225),
}
_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp", "BMP": "bmp",
            "TIFF": "tiff"}


# ----------------------------------------------------------------------------- colour maths

def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) in 0-255 to CIELAB (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


_NAMES = list(COLOURS)
_NAME_LAB = rgb_to_lab(np.array([COLOURS[n] for n in _NAMES]))


def colour_name(rgb) -> str:
    """The nearest named colour (CIELAB distance) for an sRGB triple."""
    lab = rgb_to_lab(np.asarray(rgb, dtype=np.float64)[None, :3])[0]
    return _NAMES[int(np.argmin(((_NAME_LAB - lab) ** 2).sum(axis=1)))]


def hex_of(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb[:3]))


# ----------------------------------------------------------------------------- images

@dataclass
class ImageFacts:
    """What the engine measured in one image (all numbers are real measurements)."""

    width: int
    height: int
    format: str  # the format the bytes really are (png, jpeg, gif, webp, ...)
    declared_format: str | None
    size_bytes: int
    mode: str
    colours: list[dict] = field(default_factory=list)  # [{name, hex, share}], largest first
    brightness: float = 0.0  # mean luma, 0 (black) - 100 (white)
    contrast: float = 0.0  # std of luma, 0-100
    colourfulness: float = 0.0  # Hasler-Suesstrunk M, roughly 0 (grey) - 100+ (vivid)
    edge_density: float = 0.0  # share of pixels on a strong edge, 0-1
    transparent_share: float = 0.0  # share of fully transparent pixels
    border_colour: str = ""  # named colour of the image border
    foreground_share: float = 0.0  # share of pixels unlike the border colour
    foreground_centre: tuple[float, float] | None = None  # (x, y) as fractions of the frame
    top_bottom: float = 0.0  # brightness of top half minus bottom half (points of 100)

    @property
    def orientation(self) -> str:
        if abs(self.width - self.height) <= 0.05 * max(self.width, self.height):
            return "square"
        return "landscape" if self.width > self.height else "portrait"

    @property
    def brightness_word(self) -> str:
        b = self.brightness
        return ("very dark" if b < 20 else "dark" if b < 40 else "medium" if b < 60
                else "bright" if b < 80 else "very bright")

    @property
    def texture_word(self) -> str:
        e = self.edge_density
        return "smooth" if e < 0.03 else "some detail" if e < 0.10 else "busy, many edges"

    def colour_text(self, n: int = 3) -> str:
        parts = [f"{c['name']} {c['share']:.0%}" for c in self.colours[:n]]
        return ", ".join(parts) if parts else "no opaque pixels"

    def summary(self) -> str:
        """One line with every measurement."""
        fmt = self.format
        if self.declared_format and self.declared_format != self.format:
            fmt = f"{self.format} (declared {self.declared_format})"
        text = (f"{fmt}, {self.width}x{self.height} px ({self.orientation}), "
                f"{self.size_bytes / 1024:.0f} kB; colours: {self.colour_text()}; brightness "
                f"{self.brightness:.0f}/100 ({self.brightness_word}), contrast "
                f"{self.contrast:.0f}, colourfulness {self.colourfulness:.0f}; edges "
                f"{self.edge_density:.1%} ({self.texture_word})")
        if self.transparent_share > 0.01:
            text += f"; {self.transparent_share:.0%} transparent"
        if self.foreground_centre is not None and 0.03 < self.foreground_share < 0.85:
            x, y = self.foreground_centre
            text += (f"; {self.border_colour} border with a region unlike it covering "
                     f"{self.foreground_share:.0%} of the frame, centred at "
                     f"({x:.0%}, {y:.0%})")
        return text

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(orientation=self.orientation, brightness_word=self.brightness_word)
        return out


def open_image(data: bytes) -> Image.Image:
    """Decode image bytes with Pillow (raises ValueError when they are not an image)."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a decodable image ({type(exc).__name__})") from None
    return img


def _rgba_small(img: Image.Image, side: int = _ANALYSIS_SIDE) -> Image.Image:
    img = img.convert("RGBA")
    scale = side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.BILINEAR)
    return img


def dominant_colours(img: Image.Image, n: int = 5, min_share: float = 0.03) -> list[dict]:
    """Largest colour groups of the opaque pixels: [{name, hex, share}], names merged."""
    small = _rgba_small(img)
    arr = np.asarray(small)
    opaque = arr[..., 3] > 127
    if not opaque.any():
        return []
    pixels = arr[opaque][:, :3]
    strip = Image.fromarray(pixels.reshape(1, -1, 3).astype(np.uint8), "RGB")
    quant = strip.quantize(colors=12, method=Image.Quantize.MEDIANCUT)
    palette = np.array(quant.getpalette()[: 12 * 3]).reshape(-1, 3)
    counts = np.bincount(np.asarray(quant).ravel(), minlength=len(palette))
    total = counts.sum()
    merged: dict[str, list] = {}
    for idx in np.argsort(counts)[::-1]:
        if counts[idx] == 0:
            continue
        name = colour_name(palette[idx])
        entry = merged.setdefault(name, [0, palette[idx]])
        entry[0] += counts[idx]
    out = [{"name": name, "hex": hex_of(rgb), "share": round(float(c / total), 3)}
           for name, (c, rgb) in merged.items()]
    out.sort(key=lambda d: -d["share"])
    return [d for d in out if d["share"] >= min_share][:n] or out[:1]


def border_mask(arr_rgb: np.ndarray, threshold: float = 18.0) -> tuple[np.ndarray, np.ndarray]:
    """(foreground mask, border colour): pixels farther than `threshold` (CIELAB) from the
    median colour of the image's outer border."""
    h, w, _ = arr_rgb.shape
    edge = max(1, min(h, w) // 40)
    border = np.concatenate([arr_rgb[:edge].reshape(-1, 3), arr_rgb[-edge:].reshape(-1, 3),
                             arr_rgb[:, :edge].reshape(-1, 3), arr_rgb[:, -edge:].reshape(-1, 3)])
    colour = np.median(border, axis=0)
    dist = np.sqrt(((rgb_to_lab(arr_rgb) - rgb_to_lab(colour)) ** 2).sum(axis=-1))
    return dist > threshold, colour


def measure(data: bytes, declared_format: str | None = None) -> ImageFacts:
    """Measure one image's bytes (raises ValueError when they do not decode)."""
    img = open_image(data)
    fmt = _FORMATS.get(img.format or "", (img.format or "unknown").lower())
    small = _rgba_small(img)
    arr = np.asarray(small).astype(np.float64)
    alpha = arr[..., 3]
    rgb = arr[..., :3]
    opaque = alpha > 127
    # luma on the opaque pixels (composited on white for partly transparent ones)
    a = alpha[..., None] / 255.0
    flat = rgb * a + 255.0 * (1 - a)
    luma = 0.299 * flat[..., 0] + 0.587 * flat[..., 1] + 0.114 * flat[..., 2]
    sel = luma[opaque] if opaque.any() else luma.ravel()
    rg = flat[..., 0] - flat[..., 1]
    yb = 0.5 * (flat[..., 0] + flat[..., 1]) - flat[..., 2]
    colourful = (np.sqrt(rg.std() ** 2 + yb.std() ** 2)
                 + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    grey = Image.fromarray(luma.astype(np.uint8), "L")
    edges = np.asarray(grey.filter(ImageFilter.FIND_EDGES), dtype=np.float64)[1:-1, 1:-1]
    edge_density = float((edges > 40).mean()) if edges.size else 0.0
    fg, border = border_mask(flat)
    fg_share = float(fg.mean())
    centre = None
    if fg.any():
        ys, xs = np.nonzero(fg)
        centre = (round(float(xs.mean() / max(1, fg.shape[1] - 1)), 3),
                  round(float(ys.mean() / max(1, fg.shape[0] - 1)), 3))
    half = luma.shape[0] // 2
    top_bottom = (luma[:half].mean() - luma[half:].mean()) / 2.55 if half else 0.0
    return ImageFacts(
        width=img.width, height=img.height, format=fmt,
        declared_format=declared_format.lower().replace("jpg", "jpeg") if declared_format else None,
        size_bytes=len(data), mode=img.mode, colours=dominant_colours(img),
        brightness=round(float(sel.mean() / 2.55), 1), contrast=round(float(sel.std() / 2.55), 1),
        colourfulness=round(float(colourful), 1), edge_density=round(edge_density, 4),
        transparent_share=round(float((alpha == 0).mean()), 3), border_colour=colour_name(border),
        foreground_share=round(fg_share, 3), foreground_centre=centre,
        top_bottom=round(float(top_bottom), 1))


# ----------------------------------------------------------------------------- embeddings

def caption(facts: ImageFacts) -> str:
    """A short factual caption of the measurements: what the text side of the embedding sees.
    Colours and brightness only; words for shape or texture would drown them."""
    names = [c["name"] for c in facts.colours[:3]]
    colours = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return f"{facts.brightness_word}, {colours or 'grey'}"


def descriptor(data: bytes, facts: ImageFacts | None = None) -> np.ndarray:
    """A centred colour/texture/layout descriptor of an image (unit length)."""
    facts = facts or measure(data)
    img = _rgba_small(open_image(data), 96)
    arr = np.asarray(img).astype(np.float64)
    a = arr[..., 3:4] / 255.0
    rgb = arr[..., :3] * a + 255.0 * (1 - a)
    lab = rgb_to_lab(rgb).reshape(-1, 3)
    nearest = np.argmin(((lab[:, None, :] - _NAME_LAB[None]) ** 2).sum(-1), axis=1)
    hist = np.bincount(nearest, minlength=len(_NAMES)) / len(nearest)
    colour_part = np.sqrt(hist) - np.sqrt(1.0 / len(_NAMES))
    luma = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) / 255.0
    lhist = np.histogram(luma, bins=5, range=(0, 1))[0] / luma.size
    luma_part = np.sqrt(lhist) - np.sqrt(0.2)
    gh, gw = luma.shape
    grid = np.array([luma[i * gh // 3:(i + 1) * gh // 3, j * gw // 3:(j + 1) * gw // 3].mean()
                     for i in range(3) for j in range(3)]) - 0.5
    texture = np.array([facts.edge_density * 4 - 0.2, facts.contrast / 50 - 0.5,
                        facts.colourfulness / 80 - 0.5])
    vec = np.concatenate([2.0 * colour_part, 1.2 * luma_part, 0.8 * grid, 0.6 * texture])
    return vec / max(float(np.linalg.norm(vec)), 1e-12)


@lru_cache(maxsize=1)
def _descriptor_projection(rows: int, cols: int) -> np.ndarray:
    rng = np.random.default_rng(5_0505)
    return rng.standard_normal((rows, cols)) / np.sqrt(rows)


CAPTION_WEIGHT = 0.6  # share of the image vector that lives in the text space
VISUAL_WEIGHT = 0.8  # share carried by the colour/texture descriptor (image-to-image)


def image_vector(data: bytes) -> np.ndarray:
    """Unit 256-d vector for an image in the text-embedding space (see module docstring)."""
    from local_bedrock.text.embeddings import NATIVE_DIM, embed

    facts = measure(data)
    text_part = embed([caption(facts)], NATIVE_DIM, normalize=True)[0].astype(np.float64)
    desc = descriptor(data, facts)
    visual = _descriptor_projection(NATIVE_DIM, len(desc)) @ desc
    visual /= max(float(np.linalg.norm(visual)), 1e-12)
    vec = CAPTION_WEIGHT * text_part + VISUAL_WEIGHT * visual
    return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)


# ----------------------------------------------------------------------------- documents

@dataclass
class DocumentFacts:
    name: str
    format: str
    size_bytes: int
    pages: int | None
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())

    def summary(self) -> str:
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}, " if self.pages else ""
        if not self.text.strip():
            return (f"'{self.name}' ({self.format}, {pages}{self.size_bytes / 1024:.0f} kB): "
                    "no text the local engine can extract")
        return (f"'{self.name}' ({self.format}, {pages}{self.words:,} words, "
                f"{len(self.text):,} characters)")


def _xml_text(xml: bytes, tag: str) -> str:
    return " ".join(re.findall(rf"<{tag}[^>]*>([^<]*)</{tag}>", xml.decode("utf-8", "ignore")))


def document_facts(data: bytes, fmt: str, name: str) -> DocumentFacts:
    """Extract a document's text (pdf, txt, md, csv, html, docx, xlsx; doc/xls: none)."""
    fmt = (fmt or "").lower()
    pages, text = None, ""
    try:
        if fmt == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            pages = len(reader.pages)
            text = "\n".join((p.extract_text() or "") for p in reader.pages)
        elif fmt in ("txt", "md", "csv"):
            text = data.decode("utf-8", "replace")
        elif fmt == "html":
            raw = data.decode("utf-8", "replace")
            raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.S | re.I)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw))
        elif fmt == "docx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                xml = z.read("word/document.xml").replace(b"</w:p>", b"</w:p>\n")
                text = "\n".join(_xml_text(line, "w:t") for line in xml.split(b"\n"))
        elif fmt == "xlsx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "xl/sharedStrings.xml" in z.namelist():
                    text = _xml_text(z.read("xl/sharedStrings.xml"), "t")
    except Exception as exc:  # a broken file: Bedrock would refuse it
        raise validation(f"The document '{name}' could not be read as {fmt}: "
                         f"{type(exc).__name__}.") from None
    return DocumentFacts(name=name, format=fmt, size_bytes=len(data), pages=pages,
                         text=text.strip())


def _best_sentences(text: str, question: str, k: int = 3) -> list[str]:
    from local_bedrock.text.embeddings import embed
    from local_bedrock.text.responder import sentences

    cands = [s for s in sentences(text) if len(s) > 8][:400]
    if not cands or not question.strip():
        return cands[:k]
    vecs = embed([question] + cands)
    qwords = _stems(question)
    lex = np.array([len(qwords & _stems(c)) / (len(qwords) or 1) for c in cands])
    scores = 0.5 * (vecs[1:] @ vecs[0]) + 0.5 * lex
    best = float(scores.max())
    order = [int(i) for i in np.argsort(scores)[::-1][:k]
             if scores[i] > 0.3 and scores[i] >= 0.7 * best]
    return [cands[i] for i in sorted(order)]


_STOPWORDS = set("""the and for with that this what which who how does did are was were has have
its into from about can could would should will your you our their there here than then when
where why tell give much many long""".split())


def _stems(text: str) -> set[str]:
    """Content words cut to four letters ("lasts" and "last" meet)."""
    return {w[:4] for w in re.findall(r"[a-z0-9]{3,}", text.lower()) if w not in _STOPWORDS}


# ----------------------------------------------------------------------------- answering

@dataclass
class _Media:
    kind: str  # image | document
    where: str  # messages.i.content.j
    facts: ImageFacts | DocumentFacts | None
    note: str = ""  # why there are no facts (e.g. an S3 source)


def _collect(req) -> list[_Media]:
    found: list[_Media] = []
    for i, turn in enumerate(req.messages):
        if turn.role != "user":
            continue
        for j, block in enumerate(turn.content):
            where = f"messages.{i}.content.{j}"
            for kind in ("image", "document"):
                if kind not in block:
                    continue
                media = block[kind] or {}
                source = media.get("source") or {}
                if "bytes" not in source:
                    found.append(_Media(kind, where, None,
                                        "its source is an S3 location, which the local engine "
                                        "does not fetch"))
                    continue
                data = source["bytes"]
                if kind == "image":
                    try:
                        facts = measure(data, media.get("format"))
                    except ValueError:
                        raise validation(
                            f"Unable to process the image at {where}: its bytes are not a valid "
                            f"{media.get('format', 'image')} image.") from None
                else:
                    facts = document_facts(data, media.get("format", ""),
                                           media.get("name") or f"document {len(found) + 1}")
                found.append(_Media(kind, where, facts))
    images = [m for m in found if m.kind == "image"]
    docs = [m for m in found if m.kind == "document"]
    if len(images) > MAX_IMAGES:
        raise validation(f"Too many images: a request can include up to {MAX_IMAGES} images, "
                         f"this one has {len(images)}.")
    if len(docs) > MAX_DOCUMENTS:
        raise validation(f"Too many documents: a request can include up to {MAX_DOCUMENTS} "
                         f"documents, this one has {len(docs)}.")
    return found


def has_media(req) -> bool:
    """True when any user turn carries an image or document block."""
    return any(("image" in b or "document" in b) for t in req.messages if t.role == "user"
               for b in t.content)


def _question(req) -> str:
    for turn in reversed(req.messages):
        if turn.role == "user" and turn.text.strip():
            return turn.text.strip()
    return ""


def _compare(images: list[tuple[int, ImageFacts]]) -> list[str]:
    out = []
    by_b = sorted(images, key=lambda t: t[1].brightness)
    out.append(f"Brightest: image {by_b[-1][0]} ({by_b[-1][1].brightness:.0f}/100); darkest: "
               f"image {by_b[0][0]} ({by_b[0][1].brightness:.0f}/100).")
    by_c = sorted(images, key=lambda t: t[1].colourfulness)
    out.append(f"Most colourful: image {by_c[-1][0]}; least: image {by_c[0][0]}.")
    by_px = sorted(images, key=lambda t: t[1].width * t[1].height)
    if by_px[0][1].width * by_px[0][1].height != by_px[-1][1].width * by_px[-1][1].height:
        out.append(f"Largest: image {by_px[-1][0]} ({by_px[-1][1].width}x"
                   f"{by_px[-1][1].height}); smallest: image {by_px[0][0]}.")
    shared = set.intersection(*({c["name"] for c in f.colours[:3]} for _, f in images))
    if shared:
        out.append("Colours they share: " + ", ".join(sorted(shared)) + ".")
    return out


def _answer_lines(question: str, images: list[tuple[int, ImageFacts]]) -> list[str]:
    q = question.lower()
    lines = []
    if re.search(r"\bhow many (images|pictures|photos)\b", q):
        lines.append(f"There {'is' if len(images) == 1 else 'are'} {len(images)} "
                     f"image{'s' if len(images) != 1 else ''} in this request.")
    if re.search(r"\bcolou?rs?\b", q):
        lines += [f"Image {n}: mostly {f.colour_text()}." for n, f in images]
    if re.search(r"\b(bright|dark|light|exposure|brightness)", q):
        lines += [f"Image {n}: brightness {f.brightness:.0f}/100 ({f.brightness_word})."
                  for n, f in images]
    if re.search(r"\b(size|dimension|resolution|how big|width|height|pixels)\b", q):
        lines += [f"Image {n}: {f.width}x{f.height} pixels." for n, f in images]
    if len(images) > 1 and re.search(r"\b(compare|differ|difference|which|similar|same|"
                                     r"brighter|darker|versus|vs)\b", q):
        lines += _compare(images)
    if re.search(r"\b(read|text|say|says|written|words|ocr|label|sign|caption)\b", q):
        lines.append("The local engine cannot read text inside images (it has no OCR).")
    if re.search(r"\b(what is|what's|who|object|objects|describe|identify|recogni[sz]e|"
                 r"animal|person|people|product|scene)\b", q):
        lines.append("It cannot tell what the image shows; the measurements below are what it "
                     "knows. Run in live mode for a real vision model's answer.")
    return lines


def _json_answer(req, images: list[tuple[int, ImageFacts]], docs: list[DocumentFacts]) -> str:
    measured = [{"image": n, "width": f.width, "height": f.height, "format": f.format,
                 "orientation": f.orientation,
                 "dominant_colours": [c["name"] for c in f.colours[:3]],
                 "brightness": f.brightness, "contrast": f.contrast,
                 "colourfulness": f.colourfulness, "edge_density": f.edge_density}
                for n, f in images]
    keys = list((req.json_schema or {}).get("properties") or {})
    if not keys:
        return json.dumps({"engine": "local measurements, not a vision model",
                           "images": measured,
                           "documents": [{"name": d.name, "pages": d.pages, "words": d.words}
                                         for d in docs]})
    first = measured[0] if measured else {}
    obj = {}
    for key in keys:
        low = key.lower()
        if re.search(r"colou?r", low):
            names = first.get("dominant_colours") or [None]
            obj[key] = names if low.endswith("s") else names[0]
        elif "bright" in low:
            obj[key] = first.get("brightness")
        elif low in ("width", "height", "format", "orientation", "contrast"):
            obj[key] = first.get(low)
        elif "count" in low or low in ("images", "number_of_images"):
            obj[key] = len(measured)
        else:
            obj[key] = None  # the engine measured nothing that answers this key
    return json.dumps(obj)


def describe(req) -> str | None:
    """Answer a request that carries images or documents from real measurements (or None)."""
    from local_bedrock.text.responder import MARKER

    if not has_media(req):
        return None
    media = _collect(req)
    images = [(n, m.facts) for n, m in enumerate((m for m in media if m.kind == "image"
                                                  and m.facts is not None), start=1)]
    docs = [m.facts for m in media if m.kind == "document" and m.facts is not None]
    question = _question(req)
    full = "\n".join([req.system, question])
    if req.json_schema is not None or re.search(r"\bjson\b", full, re.I):
        return _json_answer(req, images, docs)
    lines = [f"{MARKER} {HEADER}"] if images else [
        f"{MARKER} Offline, the engine reads the document text and quotes it; it is not a model."]
    lines += _answer_lines(question, images)
    for n, facts in images:
        lines.append(f"Image {n}: {facts.summary()}.")
    for m in media:
        if m.facts is None:
            lines.append(f"The {m.kind} at {m.where} was not measured: {m.note}.")
    for d in docs:
        lines.append(f"Document {d.summary()}.")
        quotes = _best_sentences(d.text, question) if d.text else []
        if quotes and question:
            lines.append(f"From '{d.name}': " + " ".join(quotes))
        elif d.text and question:
            lines.append(f"Nothing in '{d.name}' matches the question closely.")
    return "\n".join(lines)
