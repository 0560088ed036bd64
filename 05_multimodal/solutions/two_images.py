"""Worked solution to 05.03's "Your turn": two images in one Converse message.

The customer's photo as received and after the local fix (downscaled, brightened) go in one user
message, each labelled in a text block before it, with one question about both. The same question
is also sent with only the first image and with no image, to see what each image adds to
`usage.inputTokens`. Pillow measures the two photos' brightness locally, the ground truth the
answer can be compared with.
"""

from __future__ import annotations

import io

import boto3
import imagetools as it
from PIL import ImageEnhance, ImageStat

from utils import models

QUESTION = "Which of the two photos is brighter, and is the robot visible in each?"


def _jpeg(img) -> dict:
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return {"image": {"format": "jpeg", "source": {"bytes": buf.getvalue()}}}


def run() -> dict:
    """Ask about two labelled images in one message; compare tokens with one image and none."""
    runtime = boto3.client("bedrock-runtime")
    raw = it.load("customer_photo.jpg").convert("RGB")
    brightness = ImageStat.Stat(raw.convert("L")).mean[0]
    fixed = raw.copy()
    fixed.thumbnail((512, 512))
    fixed = ImageEnhance.Brightness(fixed).enhance(128 / brightness)
    contents = {
        "text only": [{"text": QUESTION}],
        "1 image": [{"text": "Image 1 (as received):"}, _jpeg(raw), {"text": QUESTION}],
        "2 images": [{"text": "Image 1 (as received):"}, _jpeg(raw),
                     {"text": "Image 2 (fixed):"}, _jpeg(fixed), {"text": QUESTION}],
    }
    rows, answer = [], ""
    for label, content in contents.items():
        resp = runtime.converse(modelId=models.VISION_MODEL,
                                messages=[{"role": "user", "content": content}],
                                inferenceConfig={"maxTokens": 800, "temperature": 0})
        rows.append({"message": label, "image blocks": sum("image" in b for b in content),
                     "inputTokens": resp["usage"]["inputTokens"], "stopReason": resp["stopReason"]})
        answer = "".join(b.get("text", "") for b in resp["output"]["message"]["content"])
    return {"rows": rows, "answer": answer,
            "brightness (Pillow)": {"image 1": round(brightness),
                                    "image 2": round(ImageStat.Stat(fixed.convert("L")).mean[0])}}


def check(result: dict) -> None:
    """One message carried both images; each image added input tokens; the model answered; and
    the fixed photo (image 2) is the brighter one, as measured locally."""
    tokens = {r["message"]: r["inputTokens"] for r in result["rows"]}
    assert tokens["text only"] < tokens["1 image"] < tokens["2 images"], tokens
    assert result["rows"][-1]["image blocks"] == 2
    assert all(r["stopReason"] == "end_turn" for r in result["rows"])
    assert result["answer"].strip()
    b = result["brightness (Pillow)"]
    assert b["image 2"] > b["image 1"] + 40, b
