"""Image generation bodies (Titan Image Generator v2, Nova Canvas, Stability) and Titan
Multimodal Embeddings with images, through real boto3 clients on the local engine."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image, ImageDraw
from shapes import assert_conforms

from local_bedrock import catalog
from local_bedrock.runtime import images as engine_images

TITAN = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"
MM = "amazon.titan-embed-image-v1"


# ----------------------------------------------------------------------------- helpers

def invoke(runtime, model_id: str, body: dict) -> dict:
    resp = runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert_conforms(resp, "bedrock-runtime", "InvokeModel")
    return json.loads(resp["body"].read())


def error_of(runtime, model_id: str, body: dict) -> str:
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    return info.value.response["Error"]["Message"]


def decode(b64: str) -> Image.Image:
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    img.load()
    return img


def b64(img: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return base64.b64encode(buf.getvalue()).decode()


def text_image(text: str, seed: int = 7, size=(512, 512), negative: str | None = None,
               **cfg) -> dict:
    params = {"text": text}
    if negative:
        params["negativeText"] = negative
    return {"taskType": "TEXT_IMAGE", "textToImageParams": params,
            "imageGenerationConfig": {"width": size[0], "height": size[1], "seed": seed, **cfg}}


def pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB")).astype(np.int32)


def no_label(arr: np.ndarray) -> np.ndarray:
    """The picture without the bottom band where the engine writes its label."""
    return arr[: int(arr.shape[0] * 0.9)]


def product_shot(size=(512, 512)) -> Image.Image:
    """A red disc on a white background."""
    img = Image.new("RGB", size, (250, 250, 250))
    w, h = size
    ImageDraw.Draw(img).ellipse((w * 0.3, h * 0.3, w * 0.7, h * 0.7), fill=(205, 35, 35))
    return img


def disc_mask(size=(512, 512), pad: float = 0.27) -> Image.Image:
    """Black (inside the mask) over the disc of product_shot, white elsewhere."""
    mask = Image.new("RGB", size, (255, 255, 255))
    w, h = size
    ImageDraw.Draw(mask).ellipse((w * pad, h * pad, w * (1 - pad), h * (1 - pad)), fill=(0, 0, 0))
    return mask


def reddish(arr: np.ndarray) -> float:
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    return float(((r > 150) & (g < 90) & (b < 90)).mean())


# ----------------------------------------------------------------------------- catalog

def test_catalog_lists_the_image_models_with_per_image_prices():
    for model_id, family in ((TITAN, "titan-image"), (NOVA, "nova-canvas"), (SD35, "stability"),
                             (CORE, "stability"), (ULTRA, "stability")):
        model = catalog.find(model_id)
        assert model is not None and model.family == family
        assert model.output_modalities == ("IMAGE",) and 0 < model.output_price < 1
        assert not model.converse and not model.streaming


# ----------------------------------------------------------------------------- text to image

def test_titan_text_to_image_shape_size_count_and_determinism(runtime):
    body = text_image("a sunset over the sea", numberOfImages=3)
    out = invoke(runtime, TITAN, body)
    assert set(out) == {"images", "error"} and out["error"] is None
    imgs = [decode(s) for s in out["images"]]
    assert len(imgs) == 3 and all(im.format == "PNG" and im.size == (512, 512) for im in imgs)
    assert len({s for s in out["images"]}) == 3  # the three images differ
    assert invoke(runtime, TITAN, body)["images"] == out["images"]  # same request, same bytes


def test_seed_and_prompt_change_the_picture_visibly(runtime):
    base = pixels(decode(invoke(runtime, NOVA, text_image("a forest", seed=1))["images"][0]))
    other_seed = pixels(decode(invoke(runtime, NOVA, text_image("a forest", seed=2))["images"][0]))
    other_prompt = pixels(decode(invoke(runtime, NOVA, text_image("a snowy desert",
                                                                  seed=1))["images"][0]))
    assert np.abs(no_label(base) - no_label(other_seed)).mean() > 10
    assert np.abs(no_label(base) - no_label(other_prompt)).mean() > 10


def test_picture_is_labelled_along_the_bottom(runtime):
    arr = pixels(decode(invoke(runtime, TITAN, text_image("a white snowy field",
                                                          seed=3))["images"][0]))
    band = arr[-10:].mean()
    assert band < 0.6 * arr[:-40].mean()  # the dark label band over a bright picture
    assert engine_images.LABEL == "local rendering"


def test_prompt_colours_and_negative_text(runtime):
    with_red = pixels(decode(invoke(runtime, TITAN, text_image(
        "red and blue balloons", seed=5, cfgScale=10))["images"][0]))
    without = pixels(decode(invoke(runtime, TITAN, text_image(
        "red and blue balloons", seed=5, cfgScale=10, negative="red"))["images"][0]))
    assert reddish(with_red) > 0.02
    assert reddish(without) < reddish(with_red) / 4


def test_defaults_follow_the_model_pages(runtime):
    nova = decode(invoke(runtime, NOVA, {"taskType": "TEXT_IMAGE",
                                         "textToImageParams": {"text": "a lemon"}})["images"][0])
    assert nova.size == (1024, 1024)


def test_nova_canvas_style_and_condition_image(runtime):
    body = text_image("a lemon on a table", seed=4)
    body["textToImageParams"]["style"] = "DESIGN_SKETCH"
    sketch = pixels(decode(invoke(runtime, NOVA, body)["images"][0]))
    assert no_label(sketch).mean() > 200  # a sketch on paper: mostly light
    cond = product_shot()
    body = text_image("a planet", seed=4)
    body["textToImageParams"].update(conditionImage=b64(cond), controlMode="CANNY_EDGE",
                                     controlStrength=1.0)
    edged = pixels(decode(invoke(runtime, NOVA, body)["images"][0]))
    plain = pixels(decode(invoke(runtime, NOVA, text_image("a planet", seed=4))["images"][0]))
    ring = np.zeros((512, 512), bool)  # where the disc's edge is
    yy, xx = np.mgrid[:512, :512]
    ring[np.abs(np.hypot(xx - 256, yy - 256) - 0.2 * 512) < 2] = True
    assert np.abs(edged[ring] - plain[ring]).mean() > 30


@pytest.mark.parametrize("model_id, cfg, fragments", [
    (TITAN, {"width": 500, "height": 500}, ["500x500", "supported size"]),
    (NOVA, {"width": 1000, "height": 1024}, ["width 1000", "multiple of 16"]),
    (NOVA, {"width": 4096, "height": 320}, ["aspect ratio", "1:4"]),
    (NOVA, {"width": 2048, "height": 2064}, ["4,194,304"]),
    (NOVA, {"numberOfImages": 6}, ["#/imageGenerationConfig/numberOfImages", "5"]),
    (TITAN, {"cfgScale": 11}, ["#/imageGenerationConfig/cfgScale"]),
    (NOVA, {"seed": 858_993_460}, ["#/imageGenerationConfig/seed"]),
    (TITAN, {"quality": "ultra"}, ["#/imageGenerationConfig/quality", "not a valid enum"]),
    (TITAN, {"steps": 30}, ["extraneous key [steps]"]),
])
def test_generation_config_is_validated(runtime, model_id, cfg, fragments):
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a boat"},
            "imageGenerationConfig": cfg}
    msg = error_of(runtime, model_id, body)
    assert msg.startswith("Malformed input request")
    for fragment in fragments:
        assert fragment in msg


@pytest.mark.parametrize("model_id, body, fragments", [
    (TITAN, {"taskType": "TEXT_IMAGE"}, ["required key [textToImageParams] not found"]),
    (TITAN, {"textToImageParams": {"text": "x"}}, ["required key [taskType] not found"]),
    (TITAN, {"taskType": "TEXT_TO_IMAGE", "textToImageParams": {"text": "x"}},
     ["TEXT_TO_IMAGE is not a valid enum value"]),
    (TITAN, {"taskType": "TEXT_IMAGE", "textToImageParams": {}}, ["required key [text]"]),
    (TITAN, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x" * 513}},
     ["#/textToImageParams/text", "maxLength: 512"]),
    (NOVA, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x" * 1025}},
     ["maxLength: 1024"]),
    (TITAN, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x", "style": "MAXIMALISM"}},
     ["extraneous key [style]"]),
    (NOVA, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x", "style": "CUBISM"}},
     ["CUBISM is not a valid enum value"]),
    (NOVA, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x",
                                                            "controlMode": "CANNY_EDGE"}},
     ["need a conditionImage"]),
    (NOVA, {"taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "x", "colors": ["red"]}},
     ["#/colorGuidedGenerationParams/colors/0", "hex colour"]),
    (NOVA, {"taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "x", "colors": ["#ffffff"] * 11}},
     ["maximum item count: 10"]),
    (NOVA, {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": "%%%"}},
     ["invalid base64"]),
])
def test_task_bodies_are_validated(runtime, model_id, body, fragments):
    msg = error_of(runtime, model_id, body)
    for fragment in fragments:
        assert fragment in msg, msg


def test_image_models_do_not_stream_or_converse(runtime):
    with pytest.raises(ClientError) as info:
        runtime.invoke_model_with_response_stream(modelId=NOVA,
                                                  body=json.dumps(text_image("x")))
    assert "streaming" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_over_http_too(http_client):
    resp = http_client().invoke_model(modelId=TITAN, body=json.dumps(text_image("a kite")))
    assert decode(json.loads(resp["body"].read())["images"][0]).size == (512, 512)


# ----------------------------------------------------------------------------- editing

def test_inpainting_without_text_removes_the_object(runtime):
    src = product_shot()
    out = invoke(runtime, NOVA, {"taskType": "INPAINTING", "inPaintingParams": {
        "image": b64(src), "maskImage": b64(disc_mask())}})
    arr, before = pixels(decode(out["images"][0])), pixels(src)
    inside = np.asarray(disc_mask().convert("L")) < 128
    outside = ~inside
    outside[int(512 * 0.9):] = False
    assert (arr[outside] == before[outside]).all()  # untouched outside the mask
    assert reddish(before[inside]) > 0.5 and reddish(arr[inside]) == 0  # the disc is gone
    assert arr[inside].mean() > 230  # filled with the surrounding white


def test_inpainting_with_text_draws_into_the_mask_only(runtime):
    src = product_shot()
    out = invoke(runtime, TITAN, {"taskType": "INPAINTING", "inPaintingParams": {
        "image": b64(src), "maskImage": b64(disc_mask()), "text": "a blue ball"},
        "imageGenerationConfig": {"seed": 3}})
    arr = pixels(decode(out["images"][0]))
    inside = np.asarray(disc_mask().convert("L")) < 128
    blue = (arr[..., 2] > 150) & (arr[..., 0] < 120)
    assert blue[inside].mean() > 0.3 and blue[~inside].mean() == 0


def test_mask_prompt_with_a_colour_word_selects_that_colour():
    mask = engine_images.mask_from_prompt(product_shot(), "the red disc")
    truth = np.asarray(disc_mask(pad=0.3).convert("L")) < 128
    assert (mask & truth).sum() / truth.sum() > 0.95
    assert (mask & ~truth).sum() / (~truth).sum() < 0.02


def test_mask_prompt_includes_details_the_object_encloses():
    img = product_shot()
    ImageDraw.Draw(img).ellipse((246, 246, 266, 266), fill=(255, 255, 255))  # a white dot
    mask = engine_images.mask_from_prompt(img, "red")
    assert mask[256, 256] and not mask[10, 10]


@pytest.mark.parametrize("params, fragment", [
    ({}, "exactly one of [maskPrompt, maskImage]"),
    ({"maskPrompt": "disc", "maskImage": "AAAA"}, "only one of [maskPrompt, maskImage]"),
])
def test_inpainting_mask_rules(runtime, params, fragment):
    body = {"taskType": "INPAINTING", "inPaintingParams": {"image": b64(product_shot()),
                                                           **params}}
    assert fragment in error_of(runtime, NOVA, body)


def test_mask_must_match_the_image_and_images_must_fit_the_model(runtime):
    body = {"taskType": "INPAINTING", "inPaintingParams": {
        "image": b64(product_shot()), "maskImage": b64(disc_mask((384, 384)))}}
    assert "same size" in error_of(runtime, NOVA, body)
    small = {"taskType": "BACKGROUND_REMOVAL",
             "backgroundRemovalParams": {"image": b64(product_shot((256, 256)))}}
    assert "320-4096" in error_of(runtime, NOVA, small)
    big = {"taskType": "BACKGROUND_REMOVAL",
           "backgroundRemovalParams": {"image": b64(product_shot((1536, 512)))}}
    assert "1,408" in error_of(runtime, TITAN, big)
    gif = {"taskType": "BACKGROUND_REMOVAL",
           "backgroundRemovalParams": {"image": b64(product_shot(), "GIF")}}
    assert "GIF images are not supported" in error_of(runtime, TITAN, gif)


@pytest.mark.parametrize("mode", ["PRECISE", "DEFAULT"])
def test_outpainting_keeps_the_masked_region(runtime, mode):
    src = product_shot()
    out = invoke(runtime, NOVA, {"taskType": "OUTPAINTING", "outPaintingParams": {
        "image": b64(src), "maskImage": b64(disc_mask()), "text": "a green meadow",
        "outPaintingMode": mode}})
    arr, before = pixels(decode(out["images"][0])), pixels(src)
    inside = np.asarray(disc_mask().convert("L")) < 128
    core = np.asarray(disc_mask(pad=0.33).convert("L")) < 128
    kept = inside if mode == "PRECISE" else core
    assert (arr[kept] == before[kept]).all()
    top = ~inside
    top[int(512 * 0.9):] = False
    assert np.abs(arr[top] - before[top]).mean() > 40  # the white background was replaced
    if mode == "DEFAULT":
        assert (arr[inside] != before[inside]).any()  # edge feathered


def test_outpainting_needs_text(runtime):
    body = {"taskType": "OUTPAINTING", "outPaintingParams": {
        "image": b64(product_shot()), "maskPrompt": "disc"}}
    assert "required key [text]" in error_of(runtime, TITAN, body)


def test_variation_similarity_controls_the_change(runtime):
    src = product_shot()

    def vary(strength: float) -> np.ndarray:
        out = invoke(runtime, TITAN, {"taskType": "IMAGE_VARIATION", "imageVariationParams": {
            "images": [b64(src)], "similarityStrength": strength},
            "imageGenerationConfig": {"width": 512, "height": 512, "seed": 11}})
        return no_label(pixels(decode(out["images"][0])))

    close, far = vary(1.0), vary(0.2)
    ref = no_label(pixels(src))
    assert np.abs(close - ref).mean() < np.abs(far - ref).mean()
    assert np.abs(close - ref).mean() < 5
    body = {"taskType": "IMAGE_VARIATION", "imageVariationParams": {
        "images": [b64(src)], "similarityStrength": 0.1}}
    assert "#/imageVariationParams/similarityStrength" in error_of(runtime, NOVA, body)


def test_color_guided_generation_uses_the_palette(runtime):
    out = invoke(runtime, NOVA, {"taskType": "COLOR_GUIDED_GENERATION",
                                 "colorGuidedGenerationParams": {
                                     "text": "abstract shapes", "colors": ["#1e5ad2", "#f0d728"]},
                                 "imageGenerationConfig": {"width": 512, "height": 512}})
    arr = no_label(pixels(decode(out["images"][0]))).reshape(-1, 3)
    palette = np.array([[30, 90, 210], [240, 215, 40]])
    dist = np.abs(arr[:, None, :] - palette[None]).sum(-1).min(axis=1)
    assert (dist < 120).mean() > 0.7


def test_background_removal_makes_the_border_transparent(runtime):
    out = invoke(runtime, TITAN, {"taskType": "BACKGROUND_REMOVAL",
                                  "backgroundRemovalParams": {"image": b64(product_shot())}})
    img = decode(out["images"][0])
    assert img.mode == "RGBA"
    alpha = np.asarray(img)[..., 3]
    assert alpha[:40, :40].max() == 0 and alpha[256, 256] == 255


# ----------------------------------------------------------------------------- Stability

def test_stability_text_to_image_shape_sizes_and_formats(runtime):
    out = invoke(runtime, SD35, {"prompt": "a lighthouse", "seed": 42, "aspect_ratio": "16:9"})
    assert set(out) == {"seeds", "finish_reasons", "images"}
    assert out["seeds"] == [42] and out["finish_reasons"] == [None]
    assert decode(out["images"][0]).size == (1344, 768)
    jpeg = invoke(runtime, CORE, {"prompt": "a lighthouse", "seed": 42, "output_format": "jpeg"})
    assert decode(jpeg["images"][0]).format == "JPEG"
    webp = invoke(runtime, ULTRA, {"prompt": "a lighthouse", "seed": 42, "output_format": "webp"})
    assert decode(webp["images"][0]).format == "WEBP"


def test_stability_seed_zero_is_random_and_reported(runtime):
    seeds = {invoke(runtime, CORE, {"prompt": "a cat"})["seeds"][0] for _ in range(3)}
    assert 0 not in seeds and len(seeds) > 1
    again = invoke(runtime, CORE, {"prompt": "a cat", "seed": 99})
    assert again["images"] == invoke(runtime, CORE, {"prompt": "a cat", "seed": 99})["images"]


def test_stability_image_to_image(runtime):
    src = product_shot((640, 384))
    out = invoke(runtime, SD35, {"prompt": "a glossy red button", "mode": "image-to-image",
                                 "image": b64(src), "strength": 0.3, "seed": 5})
    img = pixels(decode(out["images"][0]))
    assert img.shape[:2] == (768, 1344)  # the documented size nearest the input's 5:3
    centre = img[300:460, 600:740]
    assert reddish(centre) > 0.5  # low strength: the red disc is still there


@pytest.mark.parametrize("model_id, body, fragment", [
    (SD35, {}, "required key [prompt] not found"),
    (SD35, {"prompt": "x", "aspect_ratio": "7:3"}, "7:3 is not a valid enum value"),
    (SD35, {"prompt": "x", "seed": 4_294_967_295}, "#/seed"),
    (SD35, {"prompt": "x", "output_format": "gif"}, "gif is not a valid enum value"),
    (SD35, {"prompt": "x", "mode": "image-to-image"}, "required key [image] not found"),
    (CORE, {"prompt": "x", "image": "AAAA"}, "extraneous key [image]"),
    (CORE, {"prompt": "x", "cfg_scale": 7}, "extraneous key [cfg_scale]"),
    (SD35, {"prompt": "x", "negative_prompt": "y" * 10_001}, "maxLength: 10000"),
])
def test_stability_bodies_are_validated(runtime, model_id, body, fragment):
    assert fragment in error_of(runtime, model_id, body)


def test_stability_aspect_ratio_only_for_text_to_image(runtime):
    body = {"prompt": "x", "image": b64(product_shot()), "strength": 0.5, "aspect_ratio": "1:1"}
    assert "only valid for text-to-image" in error_of(runtime, ULTRA, body)


# ----------------------------------------------------------------------------- multimodal embeddings

def embed(runtime, **body) -> np.ndarray:
    out = invoke(runtime, MM, body)
    assert set(out) == {"embedding", "inputTextTokenCount"}
    return np.array(out["embedding"])


def solid(rgb, size=(128, 128)) -> str:
    return b64(Image.new("RGB", size, rgb))


def test_multimodal_image_vectors_dimensions_and_norm(runtime):
    for dims in (256, 384, 1024):
        vec = embed(runtime, inputImage=b64(product_shot()),
                    embeddingConfig={"outputEmbeddingLength": dims})
        assert len(vec) == dims and abs(np.linalg.norm(vec) - 1) < 1e-4
    assert invoke(runtime, MM, {"inputImage": solid((10, 10, 10))})["inputTextTokenCount"] == 0


def test_multimodal_similar_images_are_closer_than_different_ones(runtime):
    red = embed(runtime, inputImage=b64(product_shot()))
    red_small = embed(runtime, inputImage=b64(product_shot((300, 300))))
    navy = embed(runtime, inputImage=solid((20, 30, 90)))
    assert red @ red_small > 0.95 and red @ red_small > red @ navy + 0.2


def test_multimodal_text_reaches_images_only_through_colour_words(runtime):
    teal_img = embed(runtime, inputImage=solid((20, 128, 128)))
    yellow_img = embed(runtime, inputImage=solid((240, 215, 40)))
    teal_q, yellow_q = embed(runtime, inputText="teal"), embed(runtime, inputText="yellow")
    assert teal_q @ teal_img > teal_q @ yellow_img
    assert yellow_q @ yellow_img > yellow_q @ teal_img
    assert teal_q @ teal_img < 0.7  # weak: the image is not a caption


def test_multimodal_image_and_text_together(runtime):
    both = embed(runtime, inputImage=solid((20, 128, 128)), inputText="teal")
    img = embed(runtime, inputImage=solid((20, 128, 128)))
    text = embed(runtime, inputText="teal")
    assert both @ img > 0.6 and both @ text > 0.6


def test_multimodal_bad_image_is_refused(runtime):
    bad = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    assert "inputImage" in error_of(runtime, MM, {"inputImage": bad})
