"""Image generation bodies for InvokeModel: Titan Image Generator v2, Nova Canvas, Stability AI.

Requests are validated as the Bedrock model pages document them; responses have Bedrock's
shape. The pictures are *local renderings*, not a model's output: the engine composes a
deterministic picture from the request and labels it "local rendering" along its bottom edge.

How a rendering follows the request (so a lesson about each parameter still shows something):

- prompt: colour and scene words pick the palette ("sunset" -> orange, pink, purple); other
  words add hues derived from the word. negative text: colours it names leave the palette.
- seed: the composition (horizon, shapes, their places). Same request + seed -> same bytes;
  another seed or prompt -> a visibly different picture. Stability's seed 0 means "random", as
  on Bedrock: the engine picks one and returns it in `seeds`.
- cfgScale: how strictly the palette keeps to the prompt's colours (low values mix in
  unrelated hues). quality "premium": more shapes. Nova Canvas `style`: a drawing style.
- width/height (Titan, Nova) and aspect_ratio (Stability): the output size, checked against
  each model's documented limits.
- INPAINTING: pixels inside the mask (black in maskImage) are replaced; without text the
  engine fills them from the surrounding pixels (row/column interpolation), with text it also
  draws a prompt-coloured shape there. OUTPAINTING: pixels outside the mask are replaced with a
  rendering of the prompt; PRECISE keeps the masked pixels exactly, DEFAULT feathers the edge.
  maskPrompt: colour words select pixels of that colour; otherwise the engine masks the region
  that differs from the image border (the "object"); "background" selects the rest.
- IMAGE_VARIATION / Stability image-to-image: the input image(s), resized and blended, with
  seeded changes whose size grows as similarityStrength falls (or strength rises).
- COLOR_GUIDED_GENERATION: the palette is exactly the given colours (plus the reference
  image's dominant colours). BACKGROUND_REMOVAL: border-coloured pixels become transparent.
- TEXT_IMAGE with conditionImage: CANNY_EDGE draws the condition image's edges over the
  rendering; SEGMENTATION recolours its colour regions with the palette (controlStrength =
  opacity).
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

# Titan Image Generator G1 (v1, v2): the permissible output sizes (width, height).
TITAN_SIZES = frozenset({
    (1024, 1024), (768, 768), (512, 512), (768, 1152), (384, 576), (1152, 768), (576, 384),
    (768, 1280), (384, 640), (1280, 768), (640, 384), (896, 1152), (448, 576), (1152, 896),
    (576, 448), (768, 1408), (384, 704), (1408, 768), (704, 384), (640, 1408), (320, 704),
    (1408, 640), (704, 320), (1152, 640), (1173, 640),
})
NOVA_STYLES = ("3D_ANIMATED_FAMILY_FILM", "DESIGN_SKETCH", "FLAT_VECTOR_ILLUSTRATION",
               "GRAPHIC_NOVEL_ILLUSTRATION", "MAXIMALISM", "MIDCENTURY_RETRO", "PHOTOREALISM",
               "SOFT_DIGITAL_PAINTING")
TASK_PARAMS = {"TEXT_IMAGE": "textToImageParams", "INPAINTING": "inPaintingParams",
               "OUTPAINTING": "outPaintingParams", "IMAGE_VARIATION": "imageVariationParams",
               "COLOR_GUIDED_GENERATION": "colorGuidedGenerationParams",
               "BACKGROUND_REMOVAL": "backgroundRemovalParams",
               "VIRTUAL_TRY_ON": "virtualTryOnParams"}
# Stability (SD3.5 Large, Stable Image Core / Ultra): aspect ratio -> output size.
STABILITY_SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640),
                   "2:3": (832, 1216), "3:2": (1216, 832), "4:5": (896, 1088),
                   "5:4": (1088, 896), "9:16": (768, 1344), "9:21": (640, 1536)}
STABILITY_FORMATS = ("png", "jpeg", "webp")
STABILITY_MAX_SEED = 4_294_967_294


@dataclass(frozen=True)
class AmazonSpec:
    """Documented limits of an Amazon image model (Titan Image Generator v2, Nova Canvas)."""

    name: str
    max_text: int
    cfg_default: float
    seed_default: int
    seed_max: int
    default_size: tuple[int, int]
    tasks: tuple[str, ...]
    styles: tuple[str, ...] = ()

    def check_size(self, width: int, height: int) -> None:
        if self.name.startswith("Titan"):
            if (width, height) not in TITAN_SIZES:
                examples = "1024x1024, 768x768, 512x512, 1152x768, 768x1152, 1280x768"
                raise c.malformed("/imageGenerationConfig",
                                  f"{width}x{height} is not a supported size for {self.name}; "
                                  f"use one of the documented sizes, e.g. {examples}")
            return
        problems = []
        for side, v in (("width", width), ("height", height)):
            if not 320 <= v <= 4096 or v % 16:
                problems.append(f"{side} {v} must be a multiple of 16 between 320 and 4096")
        if not problems and not 0.25 <= width / height <= 4:
            problems.append(f"aspect ratio {width}:{height} must be between 1:4 and 4:1")
        if not problems and width * height > 4_194_304:
            problems.append(f"{width}x{height} is {width * height:,} pixels; the maximum is "
                            "4,194,304 (e.g. 2048x2048)")
        if problems:
            raise c.malformed("/imageGenerationConfig", *problems)

    def check_input_image(self, img: Image.Image, path: str) -> None:
        if self.name.startswith("Titan"):
            if max(img.size) > 1408:
                raise c.malformed(path, f"the image is {img.width}x{img.height}; input images "
                                        "must be at most 1,408 pixels on the longer side")
        elif min(img.size) < 320 or max(img.size) > 4096 or img.width * img.height > 4_194_304:
            raise c.malformed(path, f"the image is {img.width}x{img.height}; input image sides "
                                    "must be 320-4096 pixels, at most 4,194,304 pixels in all")


TITAN_V2 = AmazonSpec("Titan Image Generator v2", 512, 8.0, 42, 2_147_483_646, (1408, 1408),
                      ("TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION",
                       "COLOR_GUIDED_GENERATION", "BACKGROUND_REMOVAL"))
NOVA_CANVAS = AmazonSpec("Nova Canvas", 1024, 6.5, 12, 858_993_459, (1024, 1024),
                         ("TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION",
                          "COLOR_GUIDED_GENERATION", "BACKGROUND_REMOVAL", "VIRTUAL_TRY_ON"),
                         NOVA_STYLES)


# ----------------------------------------------------------------------------- entry point

def generate_image(model_id: str, body: dict) -> dict:
    """Validate an image model's InvokeModel body; return Bedrock's response body."""
    model = catalog.find(model_id)
    if model is None:
        raise errors.validation("The provided model identifier is invalid.")
    c.require_object(body, "")
    if model.family == "stability":
        return _stability(model, body)
    spec = NOVA_CANVAS if model.family == "nova-canvas" else TITAN_V2
    return _amazon(model, spec, body)


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


def _image_field(obj: dict, key: str, path: str, spec: AmazonSpec | None = None,
                 formats: tuple[str, ...] = ("PNG", "JPEG")) -> Image.Image:
    p = c.join(path, key)
    data = c.decode_base64(obj[key], p)
    try:
        img = vision.open_image(data)
    except ValueError:
        raise errors.validation(f"{p.lstrip('/').replace('/', '.')}: the bytes are not a valid "
                                "image (use PNG or JPEG, base64-encoded)") from None
    if img.format not in formats:
        raise errors.validation(f"{p.lstrip('/').replace('/', '.')}: {img.format} images are not "
                                f"supported; use {' or '.join(formats)}")
    if spec is not None:
        spec.check_input_image(img, p)
    return img.convert("RGB")


def _text(obj: dict, key: str, path: str, spec: AmazonSpec, required: bool) -> str:
    if key not in obj and not required:
        return ""
    return c.get_str(obj, key, path, min_length=1, max_length=spec.max_text)


def _seed_int(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8],
                          "big")


# ----------------------------------------------------------------------------- Titan / Nova

def _amazon(model, spec: AmazonSpec, body: dict) -> dict:
    task = c.get_str(body, "taskType", "", enum=spec.tasks)
    params_key = TASK_PARAMS[task]
    c.check_keys(body, "", {"taskType", params_key, "imageGenerationConfig"}, (params_key,))
    params = c.require_object(body[params_key], "/" + params_key)
    pp = "/" + params_key
    cfg = c.require_object(body.get("imageGenerationConfig", {}), "/imageGenerationConfig")
    gp = "/imageGenerationConfig"
    c.check_keys(cfg, gp, {"numberOfImages", "height", "width", "cfgScale", "seed", "quality"})
    n = c.get_int(cfg, "numberOfImages", gp, 1, lo=1, hi=5)
    cfg_scale = c.get_number(cfg, "cfgScale", gp, spec.cfg_default, lo=1.1, hi=10.0)
    seed = c.get_int(cfg, "seed", gp, spec.seed_default, lo=0, hi=spec.seed_max)
    quality = c.get_str(cfg, "quality", gp, "standard", enum=("standard", "premium"))
    width = c.get_int(cfg, "width", gp, spec.default_size[0])
    height = c.get_int(cfg, "height", gp, spec.default_size[1])
    if "width" in cfg or "height" in cfg:
        spec.check_size(width, height)
    job = _Job(model.model_id, spec.name, seed, cfg_scale, quality, (width, height))

    if task == "TEXT_IMAGE":
        allowed = {"text", "negativeText", "conditionImage", "controlMode", "controlStrength"}
        if spec.styles:
            allowed.add("style")
        c.check_keys(params, pp, allowed, ("text",))
        job.prompt = _text(params, "text", pp, spec, True)
        job.negative = _text(params, "negativeText", pp, spec, False)
        if spec.styles and "style" in params:
            job.style = c.get_str(params, "style", pp, enum=spec.styles)
        mode = c.get_str(params, "controlMode", pp, None, enum=("CANNY_EDGE", "SEGMENTATION"))
        strength = c.get_number(params, "controlStrength", pp, None, lo=0.0, hi=1.0)
        condition = None
        if "conditionImage" in params:
            condition = _image_field(params, "conditionImage", pp, spec)
        elif mode is not None or strength is not None:
            raise c.malformed(pp, "controlMode and controlStrength need a conditionImage")
        images = [job.text_to_image(i, condition, mode or "CANNY_EDGE",
                                    0.7 if strength is None else strength) for i in range(n)]
    elif task in ("INPAINTING", "OUTPAINTING"):
        allowed = {"image", "text", "negativeText", "maskPrompt", "maskImage", "returnMask"}
        if task == "OUTPAINTING":
            allowed.add("outPaintingMode")
        c.check_keys(params, pp, allowed, ("image",) + (("text",) if task == "OUTPAINTING" else ()))
        job.prompt = _text(params, "text", pp, spec, task == "OUTPAINTING")
        job.negative = _text(params, "negativeText", pp, spec, False)
        image = _image_field(params, "image", pp, spec)
        has_prompt, has_mask = "maskPrompt" in params, "maskImage" in params
        if has_prompt == has_mask:
            raise c.malformed(pp, "exactly one of [maskPrompt, maskImage] is required"
                              if not has_prompt else
                              "only one of [maskPrompt, maskImage] is permitted")
        if has_mask:
            mask_img = _image_field(params, "maskImage", pp, spec)
            if mask_img.size != image.size:
                raise c.malformed(pp + "/maskImage",
                                  f"the mask is {mask_img.width}x{mask_img.height} but the image "
                                  f"is {image.width}x{image.height}; they must be the same size")
            mask = np.asarray(mask_img.convert("L")) < 128  # black = inside the mask
        else:
            mask = mask_from_prompt(image, c.get_str(params, "maskPrompt", pp, min_length=1,
                                                     max_length=spec.max_text))
        c.get_bool(params, "returnMask", pp, False)
        precise = c.get_str(params, "outPaintingMode", pp, "DEFAULT",
                            enum=("DEFAULT", "PRECISE")) == "PRECISE"
        job.size = image.size
        if task == "INPAINTING":
            images = [job.inpaint(image, mask, i) for i in range(n)]
        else:
            images = [job.outpaint(image, mask, precise, i) for i in range(n)]
    elif task == "IMAGE_VARIATION":
        c.check_keys(params, pp, {"images", "text", "negativeText", "similarityStrength"},
                     ("images",))
        items = c.get_list(params, "images", pp, min_items=1, max_items=5)
        inputs = [_image_field({"i": v}, "i", f"{pp}/images/{k}", spec)
                  for k, v in enumerate(items)]
        job.prompt = _text(params, "text", pp, spec, False)
        job.negative = _text(params, "negativeText", pp, spec, False)
        similarity = c.get_number(params, "similarityStrength", pp, 0.7, lo=0.2, hi=1.0)
        images = [job.variation(inputs, similarity, i) for i in range(n)]
    elif task == "COLOR_GUIDED_GENERATION":
        c.check_keys(params, pp, {"text", "negativeText", "colors", "referenceImage"},
                     ("text", "colors"))
        job.prompt = _text(params, "text", pp, spec, True)
        job.negative = _text(params, "negativeText", pp, spec, False)
        colours = c.get_str_list(params, "colors", pp, min_items=1, max_items=10)
        palette = []
        for k, value in enumerate(colours):
            if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
                raise c.malformed(f"{pp}/colors/{k}", f"{value} is not a hex colour like #FF9800")
            palette.append(tuple(int(value[i:i + 2], 16) for i in (1, 3, 5)))
        if "referenceImage" in params:
            ref = _image_field(params, "referenceImage", pp, spec)
            palette += [tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))
                        for h in (d["hex"] for d in vision.dominant_colours(ref, 3))]
        job.fixed_palette = palette
        images = [job.text_to_image(i) for i in range(n)]
    elif task == "BACKGROUND_REMOVAL":
        c.check_keys(params, pp, {"image"}, ("image",))
        image = _image_field(params, "image", pp, spec)
        job.size = image.size
        images = [job.remove_background(image)]
    else:  # VIRTUAL_TRY_ON
        raise errors.validation("VIRTUAL_TRY_ON is not rendered by the local engine; run this "
                                "request in live mode.")
    return {"images": [_png_b64(img) for img in images], "error": None}


# ----------------------------------------------------------------------------- Stability

def _stability(model, body: dict) -> dict:
    core = "stable-image-core" in model.model_id
    sd35 = "sd3" in model.model_id
    allowed = {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format"}
    if not core:
        allowed |= {"image", "strength"}
    if sd35:
        allowed.add("mode")
    c.check_keys(body, "", allowed, ("prompt",))
    prompt = c.get_str(body, "prompt", "", max_length=10_000)
    negative = c.get_str(body, "negative_prompt", "", "", max_length=10_000)
    seed = c.get_int(body, "seed", "", 0, lo=0, hi=STABILITY_MAX_SEED)
    fmt = c.get_str(body, "output_format", "", "png", enum=STABILITY_FORMATS)
    mode = c.get_str(body, "mode", "", "image-to-image" if "image" in body else "text-to-image",
                     enum=("text-to-image", "image-to-image"))
    if seed == 0:  # Bedrock: 0 means a random seed, reported back in `seeds`
        seed = random.SystemRandom().randint(1, STABILITY_MAX_SEED)
    image_to_image = mode == "image-to-image" or "image" in body
    if image_to_image:
        if "aspect_ratio" in body:
            raise c.malformed("", "aspect_ratio is only valid for text-to-image requests")
        missing = [k for k in ("image", "strength") if k not in body]
        if missing:
            raise c.malformed("", *(f"required key [{k}] not found" for k in missing))
        image = _image_field(body, "image", "", None, ("PNG", "JPEG", "WEBP"))
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
    return {"seeds": [seed], "finish_reasons": [None], "images": [_png_b64(picture, fmt)]}


def _nearest_stability_size(size: tuple[int, int]) -> tuple[int, int]:
    ratio = size[0] / size[1]
    return min(STABILITY_SIZES.values(), key=lambda s: abs(math.log(s[0] / s[1] / ratio)))


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


def palette_words(text: str) -> list[str]:
    """Colour names that the words of a text call for, in order of appearance."""
    out: list[str] = []
    words = re.findall(r"[a-z]+", text.lower())
    for i, w in enumerate(words):
        w = _ALIASES.get(w, w)
        pair = f"{w} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in vision.COLOURS:
            names: tuple[str, ...] = (pair,)
        elif w in ("dark", "light"):
            continue
        elif w in vision.COLOURS:
            names = (w,)
        else:
            names = _WORD_COLOURS.get(w, ())
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
    def text_to_image(self, index: int, condition: Image.Image | None = None,
                      mode: str = "CANNY_EDGE", strength: float = 0.7) -> Image.Image:
        img = self.scene(index)
        if condition is not None:
            img = self._condition(img, condition, mode, strength, index)
        return self.label(img, index)

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
        outline_only = self.style in ("DESIGN_SKETCH",)
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
            width = max(1, w // 200) if outline_only or self.style == "FLAT_VECTOR_ILLUSTRATION" \
                else 0
            if kind == "ellipse":
                draw.ellipse(box, fill=fill, outline=line if width else None, width=width)
            elif kind == "rect":
                draw.rounded_rectangle(box, radius=min(sw, sh) * 0.15, fill=fill,
                                       outline=line if width else None, width=width)
            else:
                pts = [(cx, box[1]), (box[2], box[3]), (box[0], box[3])]
                draw.polygon(pts, fill=fill, outline=line if width else None)
        if self.style in ("PHOTOREALISM", "SOFT_DIGITAL_PAINTING"):
            img = img.filter(ImageFilter.GaussianBlur(max(1, w // 256)))
        elif self.style == "GRAPHIC_NOVEL_ILLUSTRATION":
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

    def _condition(self, img: Image.Image, condition: Image.Image, mode: str, strength: float,
                   index: int) -> Image.Image:
        cond = condition.convert("RGB").resize(img.size, Image.Resampling.BILINEAR)
        if mode == "CANNY_EDGE":
            edges = cond.convert("L").filter(ImageFilter.FIND_EDGES).point(
                lambda v: 255 if v > 40 else 0).filter(ImageFilter.MaxFilter(3))
            ink = Image.new("RGB", img.size, _mix(self.palette(index)[0], (0, 0, 0), 0.7))
            alpha = edges.point(lambda v: int(v * strength))
            return Image.composite(ink, img, alpha)
        pal = self.palette(index)
        regions = cond.quantize(min(6, max(2, len(pal))), method=Image.Quantize.MEDIANCUT)
        idx = np.asarray(regions)
        seg = np.array(pal, dtype=np.uint8)[idx % len(pal)]
        return Image.blend(img, Image.fromarray(seg, "RGB"), strength)


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
    names = [n for n in palette_words(prompt) if n in vision.COLOURS]
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
