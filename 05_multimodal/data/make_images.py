"""Draw lab 05's small image set with Pillow (nothing is downloaded), and a one-page PDF.

    python 05_multimodal/data/make_images.py        # rewrites the files next to this script

Product shots of Kestrel Home Robotics' robots (the fictional company of lab 03), a few simple
scenes for the image search, a dark customer photo and a spec sheet. Every drawing is fixed
(no randomness), so the files can be rebuilt and checked (tests/labs/test_lab05_data.py).
`IMAGES` holds what each picture shows, written by hand: the ground truth for notebook 04.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
IMAGES_DIR = HERE / "images"
SIZE = (384, 384)

# file -> what the picture shows (hand-written, used as search ground truth)
IMAGES = {
    "wren_v3.png": "Wren V3 robot vacuum, dark grey disc, seen from above on a beige floor",
    "heron_m2.png": "Heron M2 mopping robot, white disc with a teal stripe, on a light grey floor",
    "kite_l1.png": "Kite L1 robotic lawn mower, green body with black wheels, on a white background",
    "sparrow_s1.png": "Sparrow S1 window-cleaning robot, white square unit on a blue window pane",
    "sunset_beach.png": "sunset over the sea: orange and pink sky, yellow sun, blue water, sand",
    "night_city.png": "city at night: dark blue sky, moon, black buildings with yellow windows",
    "forest.png": "forest: green pine trees with brown trunks under a pale blue sky",
    "snowy_mountain.png": "snowy mountains: grey peaks with white snow under a blue sky",
    "lemons.png": "three yellow lemons on a teal tablecloth",
    "red_bicycle.png": "a red bicycle on a white background",
}


def _canvas(colour) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", SIZE, colour)
    return img, ImageDraw.Draw(img)


def _vertical_gradient(img: Image.Image, top, bottom, y0: int, y1: int) -> None:
    draw = ImageDraw.Draw(img)
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        draw.line((0, y, img.width, y),
                  fill=tuple(int(a * (1 - t) + b * t) for a, b in zip(top, bottom, strict=True)))


def wren_v3() -> Image.Image:
    img, d = _canvas((222, 200, 160))
    for x in range(0, 384, 48):  # floor boards
        d.line((x, 0, x, 384), fill=(205, 182, 142), width=2)
    d.ellipse((72, 72, 312, 312), fill=(58, 60, 64))
    d.ellipse((92, 92, 292, 292), outline=(95, 98, 104), width=4)
    d.ellipse((172, 110, 212, 150), fill=(30, 30, 32))  # lidar turret
    d.rectangle((150, 250, 234, 262), fill=(120, 200, 120))  # status light bar
    return img


def heron_m2() -> Image.Image:
    img, d = _canvas((200, 202, 205))
    d.ellipse((70, 70, 314, 314), fill=(245, 245, 242))
    d.rectangle((70, 176, 314, 208), fill=(20, 140, 135))
    d.ellipse((70, 70, 314, 314), outline=(170, 172, 175), width=3)
    return img


def kite_l1() -> Image.Image:
    img, d = _canvas((250, 250, 250))
    d.rounded_rectangle((70, 120, 314, 260), radius=40, fill=(40, 150, 70))
    d.rounded_rectangle((120, 90, 264, 140), radius=20, fill=(30, 110, 55))
    for x in (70, 270):
        d.ellipse((x, 230, x + 50, 290), fill=(25, 25, 25))
    return img


def sparrow_s1() -> Image.Image:
    img, d = _canvas((150, 195, 235))
    d.rectangle((0, 0, 383, 383), outline=(240, 240, 240), width=18)  # window frame
    d.line((192, 0, 192, 384), fill=(240, 240, 240), width=10)
    d.rounded_rectangle((110, 120, 274, 284), radius=18, fill=(248, 248, 248))
    d.ellipse((172, 182, 212, 222), fill=(40, 90, 210))
    return img


def sunset_beach() -> Image.Image:
    img, d = _canvas((0, 0, 0))
    _vertical_gradient(img, (240, 130, 40), (240, 150, 180), 0, 230)
    d.ellipse((150, 150, 234, 234), fill=(250, 220, 80))
    d.rectangle((0, 210, 384, 300), fill=(40, 90, 190))
    d.rectangle((0, 300, 384, 384), fill=(225, 200, 155))
    return img


def night_city() -> Image.Image:
    img, d = _canvas((18, 26, 70))
    d.ellipse((290, 40, 340, 90), fill=(235, 235, 220))
    x = 0
    for w, h in ((60, 200), (50, 260), (70, 170), (45, 230), (65, 290), (55, 190), (40, 150)):
        d.rectangle((x, 384 - h, x + w - 4, 384), fill=(12, 12, 14))
        for wy in range(384 - h + 12, 376, 22):
            for wx in range(x + 8, x + w - 12, 14):
                if (wx * 7 + wy * 3) % 5:
                    d.rectangle((wx, wy, wx + 6, wy + 9), fill=(245, 210, 70))
        x += w
    return img


def forest() -> Image.Image:
    img, d = _canvas((175, 210, 240))
    d.rectangle((0, 300, 384, 384), fill=(60, 120, 50))
    for i, x in enumerate(range(-10, 384, 46)):
        top = 90 + (i * 37) % 70
        d.rectangle((x + 18, 290, x + 28, 330), fill=(110, 70, 35))
        d.polygon([(x + 23, top), (x - 12, 300), (x + 58, 300)],
                  fill=(30, 100 + (i * 23) % 50, 45))
    return img


def snowy_mountain() -> Image.Image:
    img, d = _canvas((0, 0, 0))
    _vertical_gradient(img, (70, 130, 220), (170, 205, 240), 0, 384)
    d.polygon([(-40, 384), (120, 110), (280, 384)], fill=(120, 125, 135))
    d.polygon([(140, 384), (290, 80), (440, 384)], fill=(100, 105, 115))
    d.polygon([(120, 110), (85, 175), (155, 175)], fill=(250, 250, 252))
    d.polygon([(290, 80), (250, 160), (330, 160)], fill=(250, 250, 252))
    d.rectangle((0, 340, 384, 384), fill=(245, 247, 250))
    return img


def lemons() -> Image.Image:
    img, d = _canvas((20, 128, 128))
    for y in range(0, 384, 32):
        d.line((0, y, 384, y), fill=(28, 140, 140), width=3)
    for box in ((60, 120, 190, 220), (190, 90, 320, 190), (130, 210, 260, 310)):
        d.ellipse(box, fill=(245, 215, 40), outline=(200, 170, 20), width=3)
    return img


def red_bicycle() -> Image.Image:
    img, d = _canvas((250, 250, 250))
    red, black = (205, 35, 35), (30, 30, 30)
    for cx in (105, 279):
        d.ellipse((cx - 65, 200, cx + 65, 330), outline=black, width=8)
    d.line((105, 265, 170, 180, 245, 180, 279, 265), fill=red, width=10)
    d.line((170, 180, 192, 265, 105, 265), fill=red, width=10)
    d.line((192, 265, 245, 180), fill=red, width=10)
    d.line((170, 180, 160, 150), fill=red, width=8)
    d.line((140, 148, 185, 148), fill=black, width=10)  # saddle
    d.line((245, 180, 250, 140, 275, 135), fill=black, width=6)  # handlebar
    return img


def customer_photo() -> Image.Image:
    """A dark, blurry, oversized phone photo of the Wren V3: what support teams receive."""
    img = wren_v3().resize((1024, 768), Image.Resampling.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(6)).point(lambda v: int(v * 0.28))
    return img


DRAWINGS = {"wren_v3.png": wren_v3, "heron_m2.png": heron_m2, "kite_l1.png": kite_l1,
            "sparrow_s1.png": sparrow_s1, "sunset_beach.png": sunset_beach,
            "night_city.png": night_city, "forest.png": forest,
            "snowy_mountain.png": snowy_mountain, "lemons.png": lemons,
            "red_bicycle.png": red_bicycle}

SPEC_SHEET = [
    "Wren V3 robot vacuum (model KR-WV3): specification sheet",
    "The Wren V3 has a 2.4 litre dust bin and a 5,200 mAh battery.",
    "On the standard suction level the battery lasts about 140 minutes.",
    "A full charge on the dock takes 3.5 hours.",
    "The robot is 9.2 cm tall, so it fits under most sofas and beds.",
    "Navigation uses a lidar turret and maps up to 4 floors in the Kestrel Home app.",
    "The side brush should be replaced every 3 months and the filter every 2 months.",
    "List price: $649. Warranty: 2 years on the robot, 1 year on the battery.",
]


def spec_sheet_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))  # A5, in mm
    pdf.set_creation_date(dt.datetime(2025, 1, 31, tzinfo=dt.timezone.utc))  # stable bytes
    pdf.add_page()
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(0, 7, SPEC_SHEET[0])
    pdf.ln(3)
    pdf.set_font("helvetica", size=10)
    for line in SPEC_SHEET[1:]:
        pdf.multi_cell(0, 6, line)
        pdf.ln(1)
    return bytes(pdf.output())


def build(out_dir: Path = HERE) -> list[Path]:
    """Write every file; return their paths."""
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in DRAWINGS.items():
        path = images / name
        draw().save(path, "PNG", optimize=True)
        written.append(path)
    photo = out_dir / "customer_photo.jpg"
    customer_photo().save(photo, "JPEG", quality=80)
    pdf = out_dir / "wren_v3_spec_sheet.pdf"
    pdf.write_bytes(spec_sheet_pdf())
    captions = out_dir / "images.json"
    captions.write_text(json.dumps(IMAGES, indent=1) + "\n")
    return written + [photo, pdf, captions]


if __name__ == "__main__":
    for p in build():
        print(f"{p.relative_to(HERE)}  {p.stat().st_size:,} bytes")
