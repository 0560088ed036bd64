"""Image bodies through real boto3 clients on the local engine: what Bedrock does today.

Amazon's image models (Titan Image Generator v2, Nova Canvas) are end of life and answer
ResourceNotFoundException; Stability AI's generation models work from us-west-2 and are refused
elsewhere; Stability AI Image Services (inpaint, outpaint, erase object, search and replace,
search and recolor, remove background) take their flat bodies and Stability's masks (white =
edit). Titan Multimodal Embeddings with images are at the end."""

from __future__ import annotations

import base64
import io
import json

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from PIL import Image, ImageDraw
from shapes import assert_conforms

from local_bedrock import InProcessTransport, catalog
from local_bedrock.runtime import images as engine_images
from local_bedrock.runtime import models as engine_models

TITAN = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
CORE = "stability.stable-image-core-v1:1"
ULTRA = "stability.stable-image-ultra-v1:1"
INPAINT = "stability.stable-image-inpaint-v1:0"
OUTPAINT = "stability.stable-outpaint-v1:0"
ERASE = "stability.stable-image-erase-object-v1:0"
REPLACE = "stability.stable-image-search-replace-v1:0"
RECOLOR = "stability.stable-image-search-recolor-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"
SERVICES = (INPAINT, OUTPAINT, ERASE, REPLACE, RECOLOR, REMOVE_BG)
MM = "amazon.titan-embed-image-v1"
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


# ----------------------------------------------------------------------------- clients

@pytest.fixture
def client_in(engine):
    """client_in(region): a bedrock-runtime client signed for `region`, answered in-process."""
    endpoint = "http://127.0.0.1:9"  # never contacted: the in-process hook answers first
    transport = InProcessTransport(engine, endpoint)

    def make(region: str):
        client = boto3.client("bedrock-runtime", endpoint_url=endpoint, region_name=region,
                              aws_access_key_id="testing", aws_secret_access_key="testing",
                              config=NO_RETRY)
        transport.attach(client)
        return client

    return make


@pytest.fixture
def west(client_in):
    """The region Stability AI's models are served in."""
    return client_in("us-west-2")


# ----------------------------------------------------------------------------- helpers

def invoke(client, model_id: str, body: dict) -> dict:
    resp = client.invoke_model(modelId=model_id, body=json.dumps(body))
    assert_conforms(resp, "bedrock-runtime", "InvokeModel")
    return json.loads(resp["body"].read())


def error_of(client, model_id: str, body: dict, code: str = "ValidationException") -> str:
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId=model_id, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == code
    return info.value.response["Error"]["Message"]


def decode(b64: str) -> Image.Image:
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    img.load()
    return img


def b64(img: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return base64.b64encode(buf.getvalue()).decode()


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
    """Stability's mask over the disc of product_shot: white (edit) on black (keep)."""
    mask = Image.new("L", size, 0)
    w, h = size
    ImageDraw.Draw(mask).ellipse((w * pad, h * pad, w * (1 - pad), h * (1 - pad)), fill=255)
    return mask


def inside_of(mask: Image.Image) -> np.ndarray:
    return np.asarray(mask) > 127


def reddish(arr: np.ndarray) -> float:
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    return float(((r > 150) & (g < 90) & (b < 90)).mean())


# ----------------------------------------------------------------------------- catalog, lifecycle

def test_catalog_image_models_lifecycle_regions_and_per_image_prices():
    for model_id in (TITAN, NOVA):
        model = catalog.find(model_id)
        assert model.status == "EOL" and model.lifecycle.eol in ("2026-06-30", "2026-09-30")
    for model_id in (SD35, CORE, ULTRA) + SERVICES:
        model = catalog.find(model_id)
        assert model is not None and model.family == "stability" and model.status == "ACTIVE"
        assert model.output_modalities == ("IMAGE",) and 0 < model.output_price < 1
        assert not model.converse and not model.streaming
        assert model.in_region == ("us-west-2",) and model.source
    for model_id in SERVICES:  # the edit services are also reached through the us. profile
        assert catalog.invocation_id(catalog.find(model_id), "us-east-1") == f"us.{model_id}"
        assert catalog.find(model_id).note  # what the AWS pages did not confirm


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
@pytest.mark.parametrize("model_id", [TITAN, NOVA])
def test_amazon_image_models_are_end_of_life(client_in, region, model_id):
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a kite"}}
    msg = error_of(client_in(region), model_id, body, "ResourceNotFoundException")
    assert msg == engine_models.END_OF_LIFE


@pytest.mark.parametrize("model_id", [SD35, CORE, ULTRA])
def test_stability_generation_is_refused_outside_us_west_2(client_in, model_id):
    for region in ("us-east-1", "eu-central-1"):
        msg = error_of(client_in(region), model_id, {"prompt": "a kite"})
        assert msg == "The provided model identifier is invalid."
    assert invoke(client_in("us-west-2"), model_id, {"prompt": "a kite", "seed": 1})["images"]


def test_image_services_by_profile_from_the_us_and_refused_elsewhere(client_in):
    body = {"image": b64(product_shot())}
    east = client_in("us-east-1")
    assert invoke(east, f"us.{REMOVE_BG}", body)["images"]
    assert "inference profile" in error_of(east, REMOVE_BG, body)
    assert invoke(client_in("us-west-2"), REMOVE_BG, body)["images"]
    assert error_of(client_in("eu-central-1"), f"us.{REMOVE_BG}", body) == \
        "The provided model identifier is invalid."


# ----------------------------------------------------------------------------- Stability generation

def test_stability_text_to_image_shape_sizes_and_formats(west):
    out = invoke(west, SD35, {"prompt": "a lighthouse", "seed": 42, "aspect_ratio": "16:9"})
    assert set(out) == {"seeds", "finish_reasons", "images"}
    assert out["seeds"] == [42] and out["finish_reasons"] == [None]
    assert decode(out["images"][0]).size == (1344, 768)
    jpeg = invoke(west, CORE, {"prompt": "a lighthouse", "seed": 42, "output_format": "jpeg"})
    assert decode(jpeg["images"][0]).format == "JPEG"
    webp = invoke(west, ULTRA, {"prompt": "a lighthouse", "seed": 42, "output_format": "webp"})
    assert decode(webp["images"][0]).format == "WEBP"


@pytest.mark.parametrize("ratio", sorted(engine_images.STABILITY_SIZES))
def test_stability_every_aspect_ratio_has_its_size(west, ratio):
    out = invoke(west, CORE, {"prompt": "a kite", "seed": 3, "aspect_ratio": ratio})
    size = decode(out["images"][0]).size
    assert size == engine_images.STABILITY_SIZES[ratio]
    w, h = (int(x) for x in ratio.split(":"))
    assert abs(size[0] / size[1] - w / h) < 0.1


def test_stability_seed_zero_is_random_and_reported(west):
    seeds = {invoke(west, CORE, {"prompt": "a cat"})["seeds"][0] for _ in range(3)}
    assert 0 not in seeds and len(seeds) > 1
    again = invoke(west, CORE, {"prompt": "a cat", "seed": 99})
    assert again["images"] == invoke(west, CORE, {"prompt": "a cat", "seed": 99})["images"]


def test_seed_and_prompt_change_the_picture_visibly(west):
    def picture(prompt, seed):
        return no_label(pixels(decode(invoke(west, CORE, {"prompt": prompt,
                                                          "seed": seed})["images"][0])))

    base = picture("a forest", 1)
    assert np.abs(base - picture("a forest", 2)).mean() > 10
    assert np.abs(base - picture("a snowy desert", 1)).mean() > 10


def test_picture_is_labelled_along_the_bottom(west):
    arr = pixels(decode(invoke(west, CORE, {"prompt": "a white snowy field",
                                            "seed": 3})["images"][0]))
    assert arr[-10:].mean() < 0.6 * arr[:-40].mean()  # the dark label band over a bright picture
    assert engine_images.LABEL == "local rendering"


def test_prompt_colours_and_negative_prompt(west):
    def picture(**extra):
        body = {"prompt": "red and blue balloons", "seed": 5, **extra}
        return pixels(decode(invoke(west, ULTRA, body)["images"][0]))

    with_red, without = picture(), picture(negative_prompt="red")
    assert reddish(with_red) > 0.02
    assert reddish(without) < reddish(with_red) / 4


def test_stability_image_to_image(west):
    src = product_shot((640, 384))
    out = invoke(west, SD35, {"prompt": "a glossy red button", "mode": "image-to-image",
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
def test_stability_bodies_are_validated(west, model_id, body, fragment):
    assert fragment in error_of(west, model_id, body)


def test_stability_aspect_ratio_only_for_text_to_image(west):
    body = {"prompt": "x", "image": b64(product_shot()), "strength": 0.5, "aspect_ratio": "1:1"}
    assert "only valid for text-to-image" in error_of(west, ULTRA, body)


def test_image_models_do_not_stream_or_converse(west):
    with pytest.raises(ClientError) as info:
        west.invoke_model_with_response_stream(modelId=CORE, body=json.dumps({"prompt": "x"}))
    assert "streaming" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        west.converse(modelId=CORE, messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_over_http_too(server):
    client = boto3.client("bedrock-runtime", endpoint_url=server.url, region_name="us-west-2",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=NO_RETRY)
    out = json.loads(client.invoke_model(modelId=CORE, body=json.dumps(
        {"prompt": "a kite", "aspect_ratio": "3:2", "seed": 1}))["body"].read())
    assert decode(out["images"][0]).size == (1216, 832)


# ----------------------------------------------------------------------------- Image Services

def test_inpaint_draws_into_the_mask_only(west):
    src, mask = product_shot(), disc_mask()
    out = invoke(west, INPAINT, {"image": b64(src), "mask": b64(mask), "prompt": "a blue ball",
                                 "seed": 3, "grow_mask": 0})
    assert set(out) == {"seeds", "finish_reasons", "images"} and out["seeds"] == [3]
    arr, before = pixels(decode(out["images"][0])), pixels(src)
    inside = inside_of(mask)
    blue = (arr[..., 2] > 150) & (arr[..., 0] < 120)
    assert blue[inside].mean() > 0.3 and blue[~inside].mean() == 0
    outside = ~inside
    outside[int(512 * 0.9):] = False
    assert (arr[outside] == before[outside]).all()  # untouched outside the mask
    assert decode(out["images"][0]).size == src.size


def test_inpaint_grow_mask_widens_the_edit(west):
    src, mask = product_shot(), disc_mask(pad=0.32)

    def changed(grow):
        out = invoke(west, INPAINT, {"image": b64(src), "mask": b64(mask), "prompt": "a lemon",
                                     "seed": 4, "grow_mask": grow})
        return no_label((pixels(decode(out["images"][0])) != pixels(src)).any(-1)).sum()

    assert changed(20) > changed(0)


def test_inpaint_mask_from_the_alpha_channel(west):
    src = product_shot().convert("RGBA")
    alpha = Image.fromarray(np.where(inside_of(disc_mask()), 0, 255).astype(np.uint8), "L")
    src.putalpha(alpha)  # transparent = edit
    out = invoke(west, ERASE, {"image": b64(src), "grow_mask": 0, "seed": 2})
    arr = pixels(decode(out["images"][0]))
    assert reddish(arr[inside_of(disc_mask())]) == 0


def test_erase_object_removes_it_from_the_surroundings(west):
    src = product_shot()
    out = invoke(west, ERASE, {"image": b64(src), "mask": b64(disc_mask()), "seed": 3})
    arr, before = pixels(decode(out["images"][0])), pixels(src)
    inside = inside_of(disc_mask())
    assert reddish(before[inside]) > 0.5 and reddish(arr[inside]) == 0  # the disc is gone
    assert arr[inside].mean() > 230  # filled with the surrounding white


@pytest.mark.parametrize("sides", [{"left": 128, "right": 128}, {"up": 64}, {"down": 200,
                                                                              "right": 8}])
def test_outpaint_grows_the_canvas_and_keeps_the_original(west, sides):
    src = product_shot()
    out = invoke(west, OUTPAINT, {"image": b64(src), "prompt": "a green meadow", "seed": 8,
                                  **sides})
    img = decode(out["images"][0])
    w = 512 + sides.get("left", 0) + sides.get("right", 0)
    h = 512 + sides.get("up", 0) + sides.get("down", 0)
    assert img.size == (w, h)
    x0, y0 = sides.get("left", 0), sides.get("up", 0)
    kept = pixels(img)[y0:y0 + 512, x0:x0 + 512]
    rows = min(512, int(h * 0.9) - y0)  # above the label band
    assert (kept[:rows] == pixels(src)[:rows]).all()


def test_outpaint_creativity_moves_the_border_from_stretched_edge_to_prompt(west):
    src = product_shot()

    def border(creativity):
        out = invoke(west, OUTPAINT, {"image": b64(src), "prompt": "a navy night sky", "up": 128,
                                      "creativity": creativity, "seed": 1})
        return pixels(decode(out["images"][0]))[:128]

    assert np.abs(border(0.0) - 250).max() == 0  # the white edge, stretched
    assert np.abs(border(1.0) - 250).mean() > 60  # the prompt's scene


def test_search_and_replace_finds_the_named_colour(west):
    src = product_shot()
    out = invoke(west, REPLACE, {"image": b64(src), "search_prompt": "the red disc",
                                 "prompt": "a blue ball", "seed": 6})
    arr = pixels(decode(out["images"][0]))
    assert reddish(arr) < reddish(pixels(src)) / 4
    assert (no_label(arr)[:40] == pixels(src)[:40]).all()  # the background is kept


def test_search_and_recolor_keeps_shading(west):
    src = product_shot()
    ImageDraw.Draw(src).ellipse((236, 236, 276, 276), fill=(120, 20, 20))  # a darker centre
    out = invoke(west, RECOLOR, {"image": b64(src), "select_prompt": "red", "prompt": "teal",
                                 "seed": 6, "grow_mask": 0})
    arr = pixels(decode(out["images"][0]))
    teal = np.array([0, 128, 128])
    assert np.abs(arr[200, 200] - teal).sum() < 60
    assert arr[256, 256].sum() < arr[200, 200].sum()  # the dark centre stays darker
    assert (arr[:40] == pixels(src)[:40]).all()


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_remove_background_makes_the_border_transparent(west, fmt):
    out = invoke(west, REMOVE_BG, {"image": b64(product_shot()), "output_format": fmt})
    img = decode(out["images"][0])
    assert img.mode == "RGBA" and img.format == fmt.upper()
    alpha = np.asarray(img)[..., 3]
    assert alpha[:40, :40].max() == 0 and alpha[256, 256] == 255


def test_mask_prompt_with_a_colour_word_selects_that_colour():
    mask = engine_images.mask_from_prompt(product_shot(), "the red disc")
    truth = inside_of(disc_mask(pad=0.3))
    assert (mask & truth).sum() / truth.sum() > 0.95
    assert (mask & ~truth).sum() / (~truth).sum() < 0.02


def test_mask_prompt_includes_details_the_object_encloses():
    img = product_shot()
    ImageDraw.Draw(img).ellipse((246, 246, 266, 266), fill=(255, 255, 255))  # a white dot
    mask = engine_images.mask_from_prompt(img, "red")
    assert mask[256, 256] and not mask[10, 10]


@pytest.mark.parametrize("model_id, extra, fragment", [
    (INPAINT, {"mask": None}, "required key [prompt] not found"),
    (INPAINT, {"prompt": ""}, "#/prompt: expected minLength: 1"),
    (INPAINT, {"prompt": "x", "grow_mask": 21}, "#/grow_mask: 21 is not less or equal to 20"),
    (INPAINT, {"prompt": "x", "style_preset": "cubism"}, "cubism is not a valid enum value"),
    (INPAINT, {"prompt": "x", "mask": "mask-of-another-size"}, "they must be the same size"),
    (INPAINT, {"prompt": "x", "seed": -1}, "#/seed"),
    (ERASE, {"prompt": "a cat"}, "extraneous key [prompt]"),
    (ERASE, {"mask": None}, "required key [mask] not found (or send an image whose alpha"),
    (OUTPAINT, {}, "at least one of [left, right, up, down]"),
    (OUTPAINT, {"left": 2001}, "#/left: 2001 is not less or equal to 2000"),
    (OUTPAINT, {"up": 10, "creativity": 1.5}, "#/creativity"),
    (OUTPAINT, {"left": 2000, "right": 2000, "up": 2000}, "the maximum is 9,437,184"),
    (REPLACE, {"prompt": "a ball"}, "required key [search_prompt] not found"),
    (RECOLOR, {"prompt": "teal", "search_prompt": "x"},
     "required key [select_prompt] not found"),
    (REMOVE_BG, {"output_format": "jpeg"}, "jpeg is not a valid enum value"),
    (REMOVE_BG, {"seed": 4}, "extraneous key [seed]"),
])
def test_image_service_bodies_are_validated(west, model_id, extra, fragment):
    body = {"image": b64(product_shot()), "mask": b64(disc_mask()), **extra}
    if body["mask"] is None or model_id not in (INPAINT, ERASE):
        body.pop("mask")
    if body.get("mask") == "mask-of-another-size":
        body["mask"] = b64(disc_mask((384, 384)))
    msg = error_of(west, model_id, body)
    assert msg.startswith("Malformed input request") and fragment in msg, msg


@pytest.mark.parametrize("size, fragment", [
    ((48, 512), "at least 64 pixels"),
    ((1400, 500), "between 1:2.5 and 2.5:1"),
    ((3100, 3100), "9,437,184"),
])
def test_image_service_input_limits(west, size, fragment):
    body = {"image": b64(Image.new("RGB", size, (200, 200, 200))), "search_prompt": "x",
            "prompt": "y"}
    assert fragment in error_of(west, REPLACE, body)


def test_remove_background_has_a_lower_pixel_limit_and_bad_images_are_refused(west):
    big = b64(Image.new("RGB", (2100, 2100), (200, 200, 200)))
    assert "4,194,304" in error_of(west, REMOVE_BG, {"image": big})
    gif = b64(product_shot(), "GIF")
    assert "GIF images are not supported" in error_of(west, REMOVE_BG, {"image": gif})
    assert "invalid base64" in error_of(west, REMOVE_BG, {"image": "%%%"})


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
