"""Lab 05 data: the shipped images are what make_images.py draws, and fit the lab's uses."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from local_bedrock.runtime import images as engine_images
from local_bedrock.text import vision

DATA = Path(__file__).resolve().parents[2] / "05_multimodal" / "data"


@pytest.fixture(scope="module")
def make_images():
    spec = importlib.util.spec_from_file_location("make_images", DATA / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_images_are_the_script_output(make_images, tmp_path):
    make_images.build(tmp_path)
    for name in make_images.DRAWINGS:
        shipped = np.asarray(Image.open(DATA / "images" / name).convert("RGB"))
        rebuilt = np.asarray(Image.open(tmp_path / "images" / name).convert("RGB"))
        assert (shipped == rebuilt).all(), name
    assert json.loads((DATA / "images.json").read_text()) == make_images.IMAGES


def test_every_image_has_a_caption_and_fits_every_image_model(make_images):
    files = sorted(p.name for p in (DATA / "images").glob("*.png"))
    assert files == sorted(make_images.IMAGES)
    for name in files:
        img = Image.open(DATA / "images" / name)
        # Stability Image Services: sides of 64+ px, 4,096-4,194,304 pixels (remove background's
        # limit, the lowest), aspect ratio 1:2.5-2.5:1; vision models take them as they are
        assert min(img.size) >= engine_images.MIN_SIDE
        assert engine_images.MIN_PIXELS <= img.width * img.height \
            <= engine_images.MAX_PIXELS_REMOVE_BG
        assert 1 / 2.5 <= img.width / img.height <= 2.5


def test_measured_colours_match_the_captions(make_images):
    """The hand-written captions name the colour the engine measures as dominant or second."""
    for name, caption in make_images.IMAGES.items():
        facts = vision.measure((DATA / "images" / name).read_bytes())
        names = [c["name"] for c in facts.colours[:3]]
        assert any(n.split()[-1] in caption for n in names), (name, names)


def test_customer_photo_is_dark_and_oversized():
    facts = vision.measure((DATA / "customer_photo.jpg").read_bytes(), "jpeg")
    assert facts.brightness < 20 and (facts.width, facts.height) == (1024, 768)


def test_spec_sheet_pdf_has_the_facts(make_images):
    doc = vision.document_facts((DATA / "wren_v3_spec_sheet.pdf").read_bytes(), "pdf", "spec")
    assert doc.pages == 1
    for fact in ("2.4 litre", "140 minutes", "9.2 cm"):
        assert fact in doc.text
