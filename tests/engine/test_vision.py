"""Image and document understanding offline: real measurements, answered and labelled as such."""

from __future__ import annotations

import base64
import io
import json

import pytest
from botocore.exceptions import ClientError
from PIL import Image, ImageDraw
from shapes import assert_conforms, assert_event_conforms

from local_bedrock.text import vision
from local_bedrock.text.responder import MARKER

NOVA = "amazon.nova-lite-v1:0"
CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def red_disc(size=(400, 300)) -> Image.Image:
    img = Image.new("RGB", size, (250, 250, 250))
    w, h = size
    ImageDraw.Draw(img).rectangle((w * 0.1, h * 0.2, w * 0.5, h * 0.8), fill=(205, 35, 35))
    return img


def image_block(data: bytes, fmt: str = "png") -> dict:
    return {"image": {"format": fmt, "source": {"bytes": data}}}


def ask(runtime, *blocks: dict, question: str = "", model: str = NOVA, **kw) -> str:
    content = list(blocks) + ([{"text": question}] if question else [])
    resp = runtime.converse(modelId=model, messages=[{"role": "user", "content": content}], **kw)
    assert_conforms(resp, "bedrock-runtime", "Converse")
    return resp["output"]["message"]["content"][0]["text"]


# ----------------------------------------------------------------------------- measurements

def test_measures_size_format_colours_and_layout():
    facts = vision.measure(png(red_disc()), "png")
    assert (facts.width, facts.height, facts.format, facts.orientation) == (400, 300, "png",
                                                                            "landscape")
    shares = {c["name"]: c["share"] for c in facts.colours}
    assert set(shares) == {"white", "red"}
    assert abs(shares["red"] - 0.4 * 0.6) < 0.03  # the rectangle's real area
    assert facts.border_colour == "white"
    assert abs(facts.foreground_share - 0.24) < 0.03
    x, y = facts.foreground_centre
    assert abs(x - 0.3) < 0.03 and abs(y - 0.5) < 0.03


@pytest.mark.parametrize("rgb, low, high", [((0, 0, 0), 0, 1), ((255, 255, 255), 99, 100),
                                            ((128, 128, 128), 49, 52)])
def test_brightness_is_mean_luma(rgb, low, high):
    facts = vision.measure(png(Image.new("RGB", (64, 64), rgb)))
    assert low <= facts.brightness <= high and facts.contrast < 1


def test_edges_transparency_and_declared_format():
    checker = Image.new("L", (128, 128), 0)
    d = ImageDraw.Draw(checker)
    for i in range(0, 128, 8):
        for j in range(0, 128, 8):
            if (i + j) // 8 % 2:
                d.rectangle((i, j, i + 7, j + 7), fill=255)
    busy = vision.measure(png(checker))
    flat = vision.measure(png(Image.new("L", (128, 128), 90)))
    assert busy.edge_density > 0.2 and flat.edge_density == 0
    clear = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(clear).rectangle((0, 0, 49, 99), fill=(0, 0, 255, 255))
    assert abs(vision.measure(png(clear)).transparent_share - 0.5) < 0.02
    jpeg_as_png = vision.measure(png(red_disc(), "JPEG"), "png")
    assert jpeg_as_png.format == "jpeg" and "declared png" in jpeg_as_png.summary()


def test_colour_names():
    assert vision.colour_name((20, 128, 128)) == "teal"
    assert vision.colour_name((250, 250, 250)) == "white"
    assert vision.colour_name((240, 215, 40)) == "yellow"


def test_undecodable_bytes_raise_value_error():
    with pytest.raises(ValueError):
        vision.measure(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)


# ----------------------------------------------------------------------------- Converse

def test_converse_with_an_image_answers_from_measurements(runtime):
    text = ask(runtime, image_block(png(red_disc())), question="What colours are in this image?")
    assert text.startswith(MARKER) and "not a vision model" in text
    assert "400x300" in text and "red" in text and "white" in text


def test_several_images_are_compared(runtime):
    dark = Image.new("RGB", (320, 320), (20, 30, 90))
    text = ask(runtime, image_block(png(red_disc())), image_block(png(dark, "JPEG"), "jpeg"),
               question="Which image is brighter? Compare them.")
    assert "Brightest: image 1" in text and "darkest: image 2" in text
    assert "declared" not in text and "Image 2: jpeg, 320x320" in text


def test_object_and_text_questions_get_an_honest_limit(runtime):
    text = ask(runtime, image_block(png(red_disc())), question="What does the sign say?")
    assert "cannot read text" in text
    text = ask(runtime, image_block(png(red_disc())), question="What object is this?")
    assert "cannot tell what the image shows" in text


def test_json_answers_carry_measured_values(runtime):
    schema = {"type": "object", "properties": {"dominant_colour": {"type": "string"},
                                               "width": {"type": "integer"},
                                               "brightness": {"type": "number"},
                                               "mood": {"type": "string"}}}
    text = ask(runtime, image_block(png(red_disc())), question="Describe the image as JSON.",
               outputConfig={"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
                   "schema": json.dumps(schema), "name": "facts"}}}})
    obj = json.loads(text)
    assert obj["dominant_colour"] == "white" and obj["width"] == 400
    assert obj["brightness"] > 70 and obj["mood"] is None


def test_streaming_and_invoke_model_bodies_reach_vision(runtime):
    stream = runtime.converse_stream(modelId=NOVA, messages=[{"role": "user", "content": [
        image_block(png(red_disc())), {"text": "How big is it?"}]}])["stream"]
    events = list(stream)
    kinds = {next(iter(e)): e for e in events}  # one event of each kind (shape checks are slow)
    for event in kinds.values():
        assert_event_conforms(event, "bedrock-runtime", "ConverseStream")
    text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events
                   if "contentBlockDelta" in e)
    assert "400x300 pixels" in text
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 400, "messages": [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": base64.b64encode(png(red_disc())).decode()}},
            {"type": "text", "text": "What colours?"}]}]}
    out = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(body))["body"].read())
    assert "red" in out["content"][0]["text"]


def test_bad_images_and_too_many_are_refused(runtime):
    with pytest.raises(ClientError) as info:
        ask(runtime, image_block(b"\x89PNG\r\n\x1a\n" + b"\0" * 16), question="Hi")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "messages.0.content.0" in info.value.response["Error"]["Message"]
    tiny = png(Image.new("RGB", (8, 8), (1, 2, 3)))
    with pytest.raises(ClientError) as info:
        ask(runtime, *[image_block(tiny)] * 21, question="Hi")
    assert "up to 20 images" in info.value.response["Error"]["Message"]


def test_s3_sources_are_not_fetched_and_say_so(runtime):
    text = ask(runtime, {"image": {"format": "png", "source": {"s3Location": {
        "uri": "s3://bucket/photo.png"}}}}, question="Describe it")
    assert "S3 location" in text and "not fetch" in text


def _pdf(lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for page in lines:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, page)
    return bytes(pdf.output())


def test_documents_are_read_and_quoted(runtime):
    data = _pdf(["The Wren V3 has a 2.4 litre dust bin. It is 9.2 cm tall.",
                 "Its battery lasts about 140 minutes on standard suction. The dock is white."])
    doc = {"document": {"format": "pdf", "name": "wren spec", "source": {"bytes": data}}}
    text = ask(runtime, doc, question="How long does the battery last?")
    assert "2 pages" in text and "140 minutes" in text and text.startswith(MARKER)
    txt = {"document": {"format": "txt", "name": "notes", "source": {
        "bytes": b"Returns are accepted within 30 days. Shipping is free over $50."}}}
    text = ask(runtime, txt, question="How many days do I have to return it?")
    assert "30 days" in text


def test_image_tokens_are_counted_like_before(runtime, counting):
    counting(NOVA)
    messages = [{"role": "user", "content": [image_block(png(red_disc())), {"text": "Hi"}]}]
    resp = runtime.converse(modelId=NOVA, messages=messages)
    counted = runtime.count_tokens(modelId=NOVA, input={"converse": {"messages": messages}})
    assert counted["inputTokens"] == resp["usage"]["inputTokens"] > 1000


# ----------------------------------------------------------------------------- embeddings

def test_caption_and_vector_are_in_the_text_space():
    data = png(red_disc())
    cap = vision.caption(vision.measure(data))
    assert "white" in cap and "red" in cap
    vec = vision.image_vector(data)
    assert vec.shape == (256,) and abs(float((vec ** 2).sum()) - 1) < 1e-4
