"""Image bodies for InvokeModel: Stability AI's generation models and Image Services (edit).

Requests are validated as the Bedrock and Stability pages document them; responses have
Bedrock's shape, `{"seeds": [...], "finish_reasons": [null], "images": [base64]}`. Amazon's
image models (Titan Image Generator v2, Nova Canvas) reached end of life in 2026: their ids
never get here (`runtime.models.resolve` answers ResourceNotFoundException).

The pictures are *local renderings*, not a model's output: the engine composes a deterministic
picture from the request and labels it "local rendering" along its bottom edge.

How a rendering follows the request (so a lesson about each parameter still shows something):

- prompt: colour and scene words pick the palette ("sunset" -> orange, pink, purple); other
  words add hues derived from the word. negative_prompt: colours it names leave the palette.
- seed: the composition (horizon, shapes, their places). Same request + seed -> same bytes;
  another seed or prompt -> a visibly different picture. Seed 0 (or none) means "random", as
  on Bedrock: the engine picks one and returns it in `seeds`.
- aspect_ratio: the output size, from Stability's table. image-to-image (SD3.5 Large, Ultra):
  the input image blended with seeded changes whose size grows with `strength`.
- style_preset (edit services): a drawing style ("line-art" outlines, "comic-book" and
  "pixel-art" flat colours, "photographic"/"cinematic"/"analog-film" soft focus).

Image Services (edit), each on its own model id. Masks are Stability's: **white (or any light
pixel) marks the area to edit, black keeps**; without `mask` the image's alpha channel is the
mask (transparent = edit). `grow_mask` grows the mask by that many pixels.

- inpaint: the masked area is filled from the surrounding pixels (row/column interpolation) and
  a prompt-coloured shape is drawn there; pixels outside the (grown) mask are kept exactly.
- erase object: the masked area is filled from the surrounding pixels; no prompt.
- outpaint: the canvas grows by left/right/up/down pixels; the original pixels are kept exactly
  and the new border blends the image's stretched edge (creativity 0) into a rendering of the
  prompt (creativity 1; without a prompt, of the image's own colours).
- search and replace / search and recolor: `search_prompt` / `select_prompt` selects pixels of
  the colours it names, else the region unlike the image border (the "object"), else with
  "background" the rest; the selection is then inpainted with the prompt or recoloured to the
  prompt's first colour, shading kept.
- remove background: border-coloured pixels become transparent (PNG or WebP with alpha).
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import math
import random
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from local_bedrock import catalog, errors
from local_bedrock.runtime.bodies import common as c
from local_bedrock.text import vision

LABEL = "local rendering"

# ----------------------------------------------------------------------------- model limits

# Stability (SD3.5 Large, Stable Image Core / Ultra): aspect ratio -> output size.
STABILITY_SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640),
                   "2:3": (832, 1216), "3:2": (1216, 832), "4:5": (896, 1088),
                   "5:4": (1088, 896), "9:16": (768, 1344), "9:21": (640, 1536)}
STABILITY_FORMATS = ("png", "jpeg", "webp")
STABILITY_MAX_SEED = 4_294_967_294
MAX_PROMPT = 10_000
STYLE_PRESETS = ("3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art",
                 "enhance", "fantasy-art", "isometric", "line-art", "low-poly",
                 "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art",
                 "tile-texture")
INPUT_FORMATS = ("PNG", "JPEG", "WEBP")
# Image Services input images: every side >= 64 px, 4,096 to 9,437,184 pixels in all, aspect
# ratio between 1:2.5 and 2.5:1 (remove background: at most 4,194,304 pixels).
MIN_SIDE, MIN_PIXELS, MAX_PIXELS, MAX_PIXELS_REMOVE_BG = 64, 4_096, 9_437_184, 4_194_304
MAX_OUTPAINT = 2000
FLAT_STYLES = ("low-poly", "isometric", "origami", "tile-texture")
SOFT_STYLES = ("photographic", "cinematic", "analog-film")


@dataclass(frozen=True)
class Service:
    """One Stability Image Service: the body keys it takes and the ones it needs."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    grow_default: int = 5
    formats: tuple[str, ...] = STABILITY_FORMATS


_COMMON = ("seed", "output_format")
SERVICES = {
    "stability.stable-image-inpaint-v1:0": Service(
        "inpaint", ("image", "prompt"),
        ("mask", "negative_prompt", "grow_mask", "style_preset") + _COMMON),
    "stability.stable-image-erase-object-v1:0": Service(
        "erase", ("image",), ("mask", "grow_mask") + _COMMON),
    "stability.stable-outpaint-v1:0": Service(
        "outpaint", ("image",),
        ("prompt", "negative_prompt", "left", "right", "up", "down", "creativity",
         "style_preset") + _COMMON),
    "stability.stable-image-search-replace-v1:0": Service(
        "search-replace", ("image", "prompt", "search_prompt"),
        ("negative_prompt", "grow_mask", "style_preset") + _COMMON, grow_default=3),
    "stability.stable-image-search-recolor-v1:0": Service(
        "search-recolor", ("image", "prompt", "select_prompt"),
        ("negative_prompt", "grow_mask", "style_preset") + _COMMON, grow_default=3),
    "stability.stable-image-remove-background-v1:0": Service(
        "remove-background", ("image",), ("output_format",), formats=("png", "webp")),
}


# ----------------------------------------------------------------------------- entry point

def generate_image(model_id: str, body: dict) -> dict:
    """Validate an image model's InvokeModel body; return Bedrock's response body."""
    model = catalog.find(model_id)
    if model is None or model.family != "stability":
        raise errors.validation("The provided model identifier is invalid.")
    c.require_object(body, "")
    if model.model_id in SERVICES:
        return _service(model, SERVICES[model.model_id], body)
    return _stability(model, body)


# ----------------------------------------------------------------------------- helpers

def _png_b64(img: Image.Image, fmt: str = "png") -> str:
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.convert("RGB").save(buf, "JPEG", quality=88)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=85)
    else:
        img.save(buf, "PNG", optimize=False, compress_level=6)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _image_field(obj: dict, key: str, path: str,
                 formats: tuple[str, ...] = INPUT_FORMATS) -> Image.Image:
    """A base64 image field, decoded (mode kept, so an alpha channel survives)."""
    p = c.join(path, key)
    data = c.decode_base64(obj[key], p)
    try:
        img = vision.open_image(data)
    except ValueError:
        raise errors.validation(f"{p.lstrip('/').replace('/', '.')}: the bytes are not a valid "
                                "image (use PNG, JPEG or WebP, base64-encoded)") from None
    if img.format not in formats:
        raise errors.validation(f"{p.lstrip('/').replace('/', '.')}: {img.format} images are not "
                                f"supported; use {', '.join(formats)}")
    return img


def _check_input_size(img: Image.Image, path: str, max_pixels: int = MAX_PIXELS) -> None:
    w, h = img.size
    problems = []
    if min(w, h) < MIN_SIDE:
        problems.append(f"the image is {w}x{h}; every side must be at least {MIN_SIDE} pixels")
    if not MIN_PIXELS <= w * h <= max_pixels:
        problems.append(f"the image has {w * h:,} pixels; it must have {MIN_PIXELS:,} to "
                        f"{max_pixels:,}")
    if not 1 / 2.5 <= w / h <= 2.5:
        problems.append(f"aspect ratio {w}:{h} must be between 1:2.5 and 2.5:1")
    if problems:
        raise c.malformed(path, *problems)


def _seed_int(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8],
                          "big")


def _seed(body: dict) -> int:
    seed = c.get_int(body, "seed", "", 0, lo=0, hi=STABILITY_MAX_SEED)
    if seed == 0:  # Bedrock: 0 means a random seed, reported back in `seeds`
        seed = random.SystemRandom().randint(1, STABILITY_MAX_SEED)
    return seed


def _answer(seed: int, picture: Image.Image, fmt: str) -> dict:
    return {"seeds": [seed], "finish_reasons": [None], "images": [_png_b64(picture, fmt)]}


# ----------------------------------------------------------------------------- generation

def _stability(model, body: dict) -> dict:
    core = "stable-image-core" in model.model_id
    sd35 = "sd3" in model.model_id
    allowed = {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format"}
    if not core:
        allowed |= {"image", "strength"}
    if sd35:
        allowed.add("mode")
    c.check_keys(body, "", allowed, ("prompt",))
    prompt = c.get_str(body, "prompt", "", max_length=MAX_PROMPT)
    negative = c.get_str(body, "negative_prompt", "", "", max_length=MAX_PROMPT)
    fmt = c.get_str(body, "output_format", "", "png", enum=STABILITY_FORMATS)
    mode = c.get_str(body, "mode", "", "image-to-image" if "image" in body else "text-to-image",
                     enum=("text-to-image", "image-to-image"))
    seed = _seed(body)
    image_to_image = mode == "image-to-image" or "image" in body
    if image_to_image:
        if "aspect_ratio" in body:
            raise c.malformed("", "aspect_ratio is only valid for text-to-image requests")
        missing = [k for k in ("image", "strength") if k not in body]
        if missing:
            raise c.malformed("", *(f"required key [{k}] not found" for k in missing))
        image = _image_field(body, "image", "").convert("RGB")
        strength = c.get_number(body, "strength", "", lo=0.0, hi=1.0)
        size = _nearest_stability_size(image.size)
    else:
        ratio = c.get_str(body, "aspect_ratio", "", "1:1", enum=tuple(STABILITY_SIZES))
        size = STABILITY_SIZES[ratio]
    job = _Job(model.model_id, model.name, seed, 7.0, "standard", size)
    job.prompt, job.negative = prompt, negative
    if image_to_image:
        picture = job.variation([image], 1.0 - 0.8 * strength, 0)
    else:
        picture = job.text_to_image(0)
    return _answer(seed, picture, fmt)


def _nearest_stability_size(size: tuple[int, int]) -> tuple[int, int]:
    ratio = size[0] / size[1]
    return min(STABILITY_SIZES.values(), key=lambda s: abs(math.log(s[0] / s[1] / ratio)))


# ----------------------------------------------------------------------------- Image Services

def _service(model, svc: Service, body: dict) -> dict:
    c.check_keys(body, "", set(svc.required) | set(svc.optional), svc.required)
    prompt = c.get_str(body, "prompt", "", "", min_length=1 if "prompt" in svc.required else 0,
                       max_length=MAX_PROMPT)
    negative = c.get_str(body, "negative_prompt", "", "", max_length=MAX_PROMPT)
    fmt = c.get_str(body, "output_format", "", "png", enum=svc.formats)
    style = c.get_str(body, "style_preset", "", "", enum=STYLE_PRESETS)
    grow = c.get_int(body, "grow_mask", "", svc.grow_default, lo=0, hi=20)
    image = _image_field(body, "image", "")
    _check_input_size(image, "/image", MAX_PIXELS_REMOVE_BG
                      if svc.name == "remove-background" else MAX_PIXELS)
    rgb = image.convert("RGB")
    seed = _seed(body)  # remove background takes none: the engine reports the one it drew
    job = _Job(model.model_id, model.name, seed, 7.0, "standard", rgb.size)
    job.prompt, job.negative, job.style = prompt, negative, style

    if svc.name in ("inpaint", "erase"):
        mask = _mask_of(body, image)
        picture = job.inpaint(rgb, _grow(mask, grow) if grow else mask, 0)
    elif svc.name == "outpaint":
        picture = _outpaint(job, rgb, body)
    elif svc.name == "search-replace":
        target = c.get_str(body, "search_prompt", "", min_length=1, max_length=MAX_PROMPT)
        picture = job.inpaint(rgb, _grow(mask_from_prompt(rgb, target), grow), 0)
    elif svc.name == "search-recolor":
        target = c.get_str(body, "select_prompt", "", min_length=1, max_length=MAX_PROMPT)
        picture = job.recolor(rgb, _grow(mask_from_prompt(rgb, target), grow))
    else:  # remove-background
        picture = job.remove_background(rgb)
    return _answer(seed, picture, fmt)


def _mask_of(body: dict, image: Image.Image) -> np.ndarray:
    """The area to edit: the mask's light pixels, else the image's transparent pixels."""
    if "mask" in body:
        mask_img = _image_field(body, "mask", "")
        if mask_img.size != image.size:
            raise c.malformed("/mask", f"the mask is {mask_img.width}x{mask_img.height} but the "
                                       f"image is {image.width}x{image.height}; they must be the "
                                       "same size")
        return np.asarray(mask_img.convert("L")) > 127  # white = edit, black = keep
    if "A" in image.getbands():
        return np.asarray(image.getchannel("A")) < 128  # transparent = edit
    raise c.malformed("", "required key [mask] not found (or send an image whose alpha "
                          "channel marks the area to edit)")


def _outpaint(job: _Job, rgb: Image.Image, body: dict) -> Image.Image:
    sides = {k: c.get_int(body, k, "", 0, lo=0, hi=MAX_OUTPAINT)
             for k in ("left", "right", "up", "down")}
    if not any(sides.values()):
        raise c.malformed("", "at least one of [left, right, up, down] must be greater than 0")
    creativity = c.get_number(body, "creativity", "", 0.5, lo=0.0, hi=1.0)
    w, h = rgb.size
    size = (w + sides["left"] + sides["right"], h + sides["up"] + sides["down"])
    total = size[0] * size[1]
    if total > MAX_PIXELS:
        raise c.malformed("", f"the outpainted image would have {total:,} pixels; the maximum is "
                              f"{MAX_PIXELS:,}")
    arr = np.asarray(rgb)
    stretched = np.pad(arr, ((sides["up"], sides["down"]), (sides["left"], sides["right"]),
                             (0, 0)), mode="edge").astype(np.float64)
    if not job.prompt:  # no prompt: the image's own colours
        job.fixed_palette = [tuple(int(d["hex"][i:i + 2], 16) for i in (1, 3, 5))
                             for d in vision.dominant_colours(rgb, 4)] or None
    scene = np.asarray(job.scene(0, size)).astype(np.float64)
    out = (1 - creativity) * stretched + creativity * scene
    x0, y0 = sides["left"], sides["up"]
    out[y0:y0 + h, x0:x0 + w] = arr  # the original pixels, exactly
    return job.label(Image.fromarray(out.clip(0, 255).astype(np.uint8), "RGB"), 0)


# ----------------------------------------------------------------------------- palette words

_WORD_COLOURS: dict[str, tuple[str, ...]] = {
    "sunset": ("orange", "pink", "purple"), "sunrise": ("orange", "yellow", "light blue"),
    "night": ("navy", "black", "yellow"), "forest": ("dark green", "green", "brown"),
    "tree": ("green", "brown"), "trees": ("green", "brown"), "grass": ("green",),
    "ocean": ("blue", "teal"), "sea": ("blue", "teal"), "lake": ("blue", "light blue"),
    "beach": ("beige", "light blue", "blue"), "desert": ("beige", "orange"),
    "snow": ("white", "light blue"), "winter": ("white", "light blue", "grey"),
    "sky": ("light blue",), "cloud": ("white",), "clouds": ("white",), "fire": ("red", "orange"),
    "lemon": ("yellow",), "banana": ("yellow",), "apple": ("red", "green"),
    "coffee": ("brown", "beige"), "chocolate": ("brown",), "robot": ("grey", "light grey"),
    "vacuum": ("grey", "dark grey"), "metal": ("grey", "light grey"), "city": ("grey", "navy"),
    "neon": ("magenta", "cyan"), "gold": ("yellow", "orange"), "silver": ("light grey",),
    "mountain": ("grey", "white", "light blue"), "mountains": ("grey", "white", "light blue"),
    "autumn": ("orange", "red", "brown"), "spring": ("light green", "pink"),
    "rose": ("red", "pink"), "flower": ("pink", "yellow"), "flowers": ("pink", "yellow"),
    "sun": ("yellow",), "moon": ("light grey",), "kitchen": ("white", "beige"),
    "living": ("beige", "brown"), "studio": ("white", "light grey"),
}
_ALIASES = {"gray": "grey", "violet": "purple", "turquoise": "teal", "crimson": "red",
            "scarlet": "red", "golden": "yellow", "sand": "beige", "sandy": "beige",
            "aqua": "cyan", "lime": "light green", "emerald": "green", "indigo": "navy"}


def palette_words(text: str, scene_words: bool = True) -> list[str]:
    """Colour names that the words of a text call for, in order of appearance (with
    scene_words=False, only colours the text names: "dark grey robot" -> ["dark grey"])."""
    out: list[str] = []
    words = [_ALIASES.get(w, w) for w in re.findall(r"[a-z]+", text.lower())]
    skip = False
    for i, w in enumerate(words):
        if skip:  # the second word of a two-word colour
            skip = False
            continue
        pair = f"{w} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in vision.COLOURS:
            names: tuple[str, ...] = (pair,)
            skip = True
        elif w in ("dark", "light"):
            continue
        elif w in vision.COLOURS:
            names = (w,)
        else:
            names = _WORD_COLOURS.get(w, ()) if scene_words else ()
        out += [n for n in names if n not in out]
    return out


def _word_hue(word: str) -> tuple[int, int, int]:
    h = _seed_int("hue", word) % 360 / 360
    r, g, b = colorsys.hsv_to_rgb(h, 0.55, 0.85)
    return int(r * 255), int(g * 255), int(b * 255)


# ----------------------------------------------------------------------------- rendering

@dataclass
class _Job:
    model_id: str
    model_name: str
    seed: int
    cfg: float
    quality: str
    size: tuple[int, int]
    prompt: str = ""
    negative: str = ""
    style: str = ""
    fixed_palette: list | None = None

    # -- palette ------------------------------------------------------------------------
    def palette(self, index: int) -> list[tuple[int, int, int]]:
        banned = set(palette_words(self.negative))
        if self.fixed_palette:
            return list(self.fixed_palette)
        names = [n for n in palette_words(self.prompt) if n not in banned]
        colours = [vision.COLOURS[n] for n in names]
        if len(colours) < 2:  # words without colours: hues derived from the words
            content = [w for w in re.findall(r"[a-z]{4,}", self.prompt.lower())
                       if w not in self.negative.lower()]
            colours += [_word_hue(w) for w in content[: 3 - len(colours)]]
        if not colours:
            colours = [(90, 110, 140), (200, 190, 170)]
        rng = self.rng("palette", index)
        extra = max(0, round((10.0 - self.cfg) / 3.0))  # low cfgScale: unrelated hues creep in
        for _ in range(extra):
            r, g, b = colorsys.hsv_to_rgb(rng.random(), 0.6, 0.8)
            colours.append((int(r * 255), int(g * 255), int(b * 255)))
        return colours

    def rng(self, *parts: Any) -> random.Random:
        return random.Random(_seed_int(self.model_id, self.prompt, self.seed, *parts))

    # -- text to image ---------------------------------------------------------------------
    def text_to_image(self, index: int) -> Image.Image:
        return self.label(self.scene(index), index)

    def scene(self, index: int, size: tuple[int, int] | None = None) -> Image.Image:
        """The composed picture for this request and image index (no label)."""
        w, h = size or self.size
        rng = self.rng("scene", index)
        pal = self.palette(index)
        lead = pal[:2] if len(pal) > 1 else pal * 2
        if re.search(r"\b(night|dark|evening)\b", self.prompt.lower()):
            lead = sorted(pal, key=sum)[:2]  # darkest colours for the sky and ground
        top, bottom = lead if rng.random() < 0.5 else lead[::-1]
        pal = pal[:]
        rng.shuffle(pal)
        horizon = rng.uniform(0.45, 0.75)
        y = np.linspace(0, 1, h)[:, None, None]
        sky = np.array(top, float) * (1 - y / horizon) + np.array(_mix(top, (255, 255, 255), .5))\
            * (y / horizon)
        ground_col = np.array(pal[2 % len(pal)] if len(pal) > 2 else _mix(bottom, (0, 0, 0), .3),
                              float)
        ground = np.array(bottom, float) * (1 - (y - horizon)) + ground_col * (y - horizon)
        arr = np.where(y < horizon, sky, ground)
        arr = np.broadcast_to(arr, (h, w, 3)).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(arr.copy(), "RGB")
        draw = ImageDraw.Draw(img, "RGBA")
        outline_only = self.style == "line-art"
        if outline_only:
            img.paste((246, 244, 238), (0, 0, w, h))
        words = self.prompt.lower()
        if re.search(r"\b(sun|sunset|sunrise|moon|night)\b", words):
            r = int(min(w, h) * rng.uniform(0.07, 0.12))
            cx, cy = int(w * rng.uniform(0.15, 0.85)), int(h * horizon * rng.uniform(0.3, 0.7))
            col = (250, 220, 90) if "moon" not in words and "night" not in words else (235, 235, 220)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=col + (255,))
        shapes = 7 if self.quality == "standard" else 12
        for k in range(shapes):
            col = pal[(k + 2) % len(pal)]
            kind = rng.choice(("ellipse", "rect", "triangle", "ellipse"))
            cx, cy = rng.uniform(0.05, 0.95) * w, rng.uniform(horizon * 0.6, 0.98) * h
            sw, sh = rng.uniform(0.06, 0.26) * w, rng.uniform(0.06, 0.26) * h
            box = (cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2)
            fill = None if outline_only else col + (rng.randint(170, 255),)
            line = _mix(col, (0, 0, 0), .5) + (255,)
            width = max(1, w // 200) if outline_only or self.style in FLAT_STYLES else 0
            if kind == "ellipse":
                draw.ellipse(box, fill=fill, outline=line if width else None, width=width)
            elif kind == "rect":
                draw.rounded_rectangle(box, radius=min(sw, sh) * 0.15, fill=fill,
                                       outline=line if width else None, width=width)
            else:
                pts = [(cx, box[1]), (box[2], box[3]), (box[0], box[3])]
                draw.polygon(pts, fill=fill, outline=line if width else None)
        if self.style in SOFT_STYLES:
            img = img.filter(ImageFilter.GaussianBlur(max(1, w // 256)))
        elif self.style in ("comic-book", "pixel-art"):
            img = img.quantize(6).convert("RGB")
        return img

    def label(self, img: Image.Image, index: int) -> Image.Image:
        """Write 'local rendering' (and what it was made from) along the bottom edge."""
        w, h = img.size
        band = max(14, h // 14)
        draw = ImageDraw.Draw(img, "RGBA")
        draw.rectangle((0, h - band, w, h), fill=(0, 0, 0, 170))
        font = _font(max(9, int(band * 0.42)))
        prompt = " ".join(self.prompt.split())
        prompt = prompt if len(prompt) <= 60 else prompt[:59] + "…"
        line1 = f"{LABEL} · {self.model_name} · seed {self.seed}" + (f" · #{index + 1}"
                                                                      if index else "")
        draw.text((6, h - band + 2), line1, fill=(255, 255, 255, 255), font=font)
        if prompt and band >= 24:
            draw.text((6, h - band // 2), prompt, fill=(220, 220, 220, 255), font=font)
        return img

    # -- edits ---------------------------------------------------------------------------------
    def inpaint(self, image: Image.Image, mask: np.ndarray, index: int) -> Image.Image:
        arr = np.asarray(image).astype(np.float64)
        filled = fill_from_surroundings(arr, mask)
        out = Image.fromarray(filled.clip(0, 255).astype(np.uint8), "RGB")
        if self.prompt and mask.any():
            ys, xs = np.nonzero(mask)
            box = (xs.min(), ys.min(), xs.max(), ys.max())
            patch = self.scene(index, image.size)
            rng = self.rng("inpaint", index)
            pal = self.palette(index)
            shape = Image.new("L", image.size, 0)
            d = ImageDraw.Draw(shape)
            inset = 0.12 * min(box[2] - box[0], box[3] - box[1])
            inner = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
            d.ellipse(inner, fill=255) if rng.random() < 0.6 else \
                d.rounded_rectangle(inner, radius=inset, fill=255)
            solid = Image.new("RGB", image.size, pal[0])
            blended = Image.blend(solid, patch, 0.25)
            shape_arr = (np.asarray(shape) > 0) & mask
            out.paste(blended, (0, 0), Image.fromarray((shape_arr * 255).astype(np.uint8), "L"))
        return self.label(out, index)

    def outpaint(self, image: Image.Image, mask: np.ndarray, precise: bool,
                 index: int) -> Image.Image:
        keep = mask  # outpainting keeps the masked region and replaces the rest
        scene = self.scene(index, image.size)
        alpha = Image.fromarray((keep * 255).astype(np.uint8), "L")
        if not precise:
            alpha = alpha.filter(ImageFilter.GaussianBlur(max(2, min(image.size) // 64)))
            alpha = Image.fromarray(np.minimum(np.asarray(alpha), keep * 255).astype(np.uint8))
        out = Image.composite(image, scene, alpha)
        return self.label(out, index)

    def variation(self, inputs: list[Image.Image], similarity: float, index: int) -> Image.Image:
        w, h = self.size
        base = np.mean([np.asarray(im.convert("RGB").resize((w, h), Image.Resampling.BICUBIC),
                                   dtype=np.float64) for im in inputs], axis=0)
        rng = self.rng("variation", index)
        change = 1.0 - similarity
        img = Image.fromarray(base.clip(0, 255).astype(np.uint8), "RGB")
        # colour shift and a small seeded displacement, both growing with `change`
        hsv = np.asarray(img.convert("HSV")).astype(np.int32)
        hsv[..., 0] = (hsv[..., 0] + int(rng.uniform(-1, 1) * 90 * change)) % 256
        img = Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")
        dx, dy = (int(rng.uniform(-1, 1) * change * 0.15 * s) for s in (w, h))
        img = img.transform(img.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, dy),
                            resample=Image.Resampling.BILINEAR, fillcolor=img.getpixel((0, 0)))
        if self.prompt or change > 0.2:
            overlay = self.scene(index, (w, h))
            img = Image.blend(img, overlay, min(0.85, 0.9 * change))
        return self.label(img, index)

    def recolor(self, image: Image.Image, mask: np.ndarray) -> Image.Image:
        """The masked pixels take the prompt's first colour; their shading is kept."""
        arr = np.asarray(image).astype(np.float64)
        target = np.array(self.palette(0)[0], dtype=np.float64)
        if mask.any():
            luma = arr @ np.array([0.299, 0.587, 0.114])
            shade = luma[mask] / max(float(luma[mask].mean()), 1.0)
            arr[mask] = (target[None, :] * shade[:, None]).clip(0, 255)
        return self.label(Image.fromarray(arr.astype(np.uint8), "RGB"), 0)

    def remove_background(self, image: Image.Image) -> Image.Image:
        arr = np.asarray(image).astype(np.float64)
        fg, _ = vision.border_mask(arr)
        fg_img = Image.fromarray((fg * 255).astype(np.uint8), "L").filter(ImageFilter.MaxFilter(3))
        out = image.convert("RGBA")
        out.putalpha(fg_img)
        draw = ImageDraw.Draw(out)
        draw.text((4, out.height - 14), f"{LABEL} · {self.model_name}", fill=(0, 0, 0, 255),
                  font=_font(10))
        return out


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a[:3], b[:3], strict=True))


_FONTS: dict[int, Any] = {}


def _font(size: int):
    if size not in _FONTS:
        try:
            _FONTS[size] = ImageFont.load_default(size=size)
        except TypeError:  # Pillow without FreeType: the fixed bitmap font
            _FONTS[size] = ImageFont.load_default()
    return _FONTS[size]


# ----------------------------------------------------------------------------- masks

def mask_from_prompt(image: Image.Image, prompt: str) -> np.ndarray:
    """The engine's stand-in for a model's text-defined mask (see module docstring)."""
    arr = np.asarray(image.convert("RGB")).astype(np.float64)
    names = [n for n in palette_words(prompt, scene_words=False) if n in vision.COLOURS]
    if names:
        lab = vision.rgb_to_lab(arr)
        mask = np.zeros(arr.shape[:2], dtype=bool)
        for n in names:
            ref = vision.rgb_to_lab(np.array(vision.COLOURS[n], float))
            mask |= np.sqrt(((lab - ref) ** 2).sum(-1)) < 30
        if mask.any():
            return _grow(_fill_holes(mask))
    fg, _ = vision.border_mask(arr)
    if re.search(r"\b(background|backdrop|sky|wall|surroundings)\b", prompt.lower()):
        return ~fg
    return _grow(_fill_holes(fg))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Add the pixels the mask encloses (an object's details of another colour)."""
    h, w = mask.shape
    img = Image.new("L", (w + 2, h + 2), 0)
    img.paste(Image.fromarray((mask * 255).astype(np.uint8), "L"), (1, 1))
    ImageDraw.floodfill(img, (0, 0), 128)
    return np.asarray(img)[1:-1, 1:-1] != 128


def _grow(mask: np.ndarray, px: int = 3) -> np.ndarray:
    img = Image.fromarray((mask * 255).astype(np.uint8), "L")
    return np.asarray(img.filter(ImageFilter.MaxFilter(2 * px + 1))) > 127


def fill_from_surroundings(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fill masked pixels by interpolating, along rows and columns, between the nearest
    unmasked pixels on either side (averaged): a simple, real inpainting."""
    out = arr.copy()
    if not mask.any() or mask.all():
        return out
    estimates = []
    for axis_arr, axis_mask in ((arr, mask), (arr.transpose(1, 0, 2), mask.T)):
        est = axis_arr.copy()
        weight = np.zeros(axis_mask.shape, dtype=bool)
        idx = np.arange(axis_mask.shape[1])
        for r in np.nonzero(axis_mask.any(axis=1))[0]:
            known = ~axis_mask[r]
            if not known.any():
                continue
            for ch in range(3):
                est[r, axis_mask[r], ch] = np.interp(idx[axis_mask[r]], idx[known],
                                                     axis_arr[r, known, ch])
            weight[r] = axis_mask[r]
        estimates.append((est, weight))
    (row_est, row_w), (col_est, col_w) = estimates
    col_est, col_w = col_est.transpose(1, 0, 2), col_w.T
    both = row_w & col_w
    out[row_w] = row_est[row_w]
    out[col_w & ~row_w] = col_est[col_w & ~row_w]
    out[both] = (row_est[both] + col_est[both]) / 2
    return out
