"""Worked solution to 05.02's "Your turn": a mask drawn as an image versus a mask described in
words (a mask prompt).

The same change (the dark grey robot becomes a yellow one) is asked for twice: with Stable Image
Inpaint and a mask image (a white disc drawn over the robot), and with Stable Image Search and
Replace and `search_prompt` (the service finds the region itself). For each result the changed
pixels are measured inside and outside the drawn disc: with a mask image you decide exactly
where the edit may go; with a mask prompt the service decides, and you check it afterwards.
"""

from __future__ import annotations

import base64
import io
import json

import boto3
import imagetools as it
import numpy as np
from PIL import Image, ImageDraw

from utils import models

DISC = (64, 64, 320, 320)  # the robot's place in the 384x384 product shot, a few pixels wider
PROMPT = "a yellow robot vacuum"


def _edit(tag: str, body: dict) -> Image.Image:
    model = models.by_tag(tag)
    region = models.region_for(model)
    client = boto3.client("bedrock-runtime", region_name=region)
    resp = client.invoke_model(modelId=models.invoke_id(model, region), body=json.dumps(body))
    data = json.loads(resp["body"].read())["images"][0]
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def run() -> dict:
    """Both edits, and the share of pixels changed inside and outside the drawn disc."""
    photo = it.load("wren_v3.png").convert("RGB")
    mask = Image.new("L", photo.size, 0)
    ImageDraw.Draw(mask).ellipse(DISC, fill=255)
    edits = {
        "mask image (inpaint)": _edit("stability-inpaint", {
            "image": it.to_b64(photo), "mask": it.to_b64(mask), "prompt": PROMPT, "seed": 5}),
        "mask prompt (search and replace)": _edit("stability-search-replace", {
            "image": it.to_b64(photo), "search_prompt": "the dark grey robot", "prompt": PROMPT,
            "seed": 5}),
    }
    inside = np.asarray(mask) >= 128
    rows = int(photo.height * 0.9)  # the bottom rows carry the offline label
    before = np.asarray(photo)[:rows]
    table = []
    for name, img in edits.items():
        diff = (np.asarray(img)[:rows] != before).any(axis=-1)
        table.append({"edit": name, "changed inside the disc": round(float(diff[inside[:rows]].mean()), 3),
                      "changed outside the disc": round(float(diff[~inside[:rows]].mean()), 3),
                      "share of changes inside": round(float(diff[inside[:rows]].sum() / max(diff.sum(), 1)), 3)})
    return {"rows": table, "images": edits, "mask": mask}


def check(result: dict) -> None:
    """Both edits changed the robot; the mask image kept the edit inside the disc (outside only a
    thin `grow_mask` ring); the mask prompt's edit also landed mostly on the robot."""
    by = {r["edit"]: r for r in result["rows"]}
    drawn, worded = by["mask image (inpaint)"], by["mask prompt (search and replace)"]
    assert drawn["changed inside the disc"] > 0.2 and worded["changed inside the disc"] > 0.2
    assert drawn["changed outside the disc"] < 0.02, drawn
    assert drawn["share of changes inside"] > 0.95, drawn
    assert worded["share of changes inside"] > 0.5, worded
