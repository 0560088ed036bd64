"""Build the PDF documents of the lab 03 corpus from their Markdown sources.

The sources live in ``pdf_src/*.md`` and use a tiny subset of Markdown:
``# title``, ``## heading``, ``- bullet``, ``1. numbered item`` and plain
paragraphs separated by blank lines. Each source becomes
``corpus/<stem>.pdf``.

The output is deterministic: the creation date and producer are fixed, and
fpdf2 derives the file ID from the content, so rebuilding with the same fpdf2
version gives byte-identical files.

Usage (from the repository root)::

    python 03_knowledge_bases/data/build_pdfs.py           # (re)build the PDFs
    python 03_knowledge_bases/data/build_pdfs.py --check   # verify committed PDFs are current

Only the PDF core fonts are used, so the sources must stay within latin-1.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "pdf_src"
OUT_DIR = HERE / "corpus"

FIXED_DATE = datetime(2025, 2, 1, 9, 0, 0, tzinfo=timezone.utc)
FONT = "Helvetica"
BODY_SIZE = 10.5
LINE_H = 5.2
NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")


class _Doc(FPDF):
    def footer(self) -> None:  # noqa: D401 - fpdf2 hook
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"Kestrel Home Robotics - page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)


def _blocks(text: str) -> list[tuple[str, str]]:
    """Split Markdown source into (kind, text) blocks."""
    blocks: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("p", " ".join(para)))
            para.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            blocks.append(("h2", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            blocks.append(("h1", line[2:].strip()))
        elif line.startswith("- "):
            flush()
            blocks.append(("li", line[2:].strip()))
        elif NUMBERED.match(line):
            flush()
            blocks.append(("ol", line))
        else:
            para.append(line)
    flush()
    return blocks


def render(src: Path) -> bytes:
    text = src.read_text(encoding="utf-8")
    text.encode("latin-1")  # raises if a character cannot be shown with core fonts
    blocks = _blocks(text)
    title = next((t for k, t in blocks if k == "h1"), src.stem)

    pdf = _Doc(format="A4", unit="mm")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("fpdf2 (Kestrel workshop corpus builder)")
    pdf.set_creator("03_knowledge_bases/data/build_pdfs.py")
    pdf.set_author("Kestrel Home Robotics (fictional company)")
    pdf.set_title(title)
    pdf.set_subject(f"Workshop corpus document {src.stem}")
    pdf.add_page()

    prev = None
    for kind, body in blocks:
        if kind == "h1":
            pdf.set_font(FONT, "B", 16)
            pdf.multi_cell(0, 8, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif kind == "h2":
            pdf.ln(2.5)
            pdf.set_font(FONT, "B", 12)
            pdf.multi_cell(0, 6.5, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind in ("li", "ol"):
            pdf.set_font(FONT, size=BODY_SIZE)
            if kind == "li":
                marker, item = "-", body
            else:
                m = NUMBERED.match(body)
                marker, item = f"{m.group(1)}.", m.group(2)
            pdf.set_x(pdf.l_margin + 3)
            pdf.cell(6, LINE_H, marker)
            pdf.multi_cell(0, LINE_H, item, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        else:
            if prev in ("li", "ol"):
                pdf.ln(1.5)
            pdf.set_font(FONT, size=BODY_SIZE)
            pdf.multi_cell(0, LINE_H, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.2)
        prev = kind
    return bytes(pdf.output())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the committed PDFs are up to date")
    args = parser.parse_args(argv)

    sources = sorted(SRC_DIR.glob("*.md"))
    if not sources:
        print(f"no sources found in {SRC_DIR}", file=sys.stderr)
        return 1
    stale = []
    for src in sources:
        data = render(src)
        out = OUT_DIR / f"{src.stem}.pdf"
        if args.check:
            if not out.exists() or out.read_bytes() != data:
                stale.append(out.name)
            continue
        out.write_bytes(data)
        print(f"wrote {out.relative_to(HERE)} ({len(data):,} bytes)")
    if args.check:
        if stale:
            print("out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"all {len(sources)} PDFs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
