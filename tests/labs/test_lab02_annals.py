"""Lab 02/04 data: the long document is reproducible from its facts and long enough to need
chunking (more tokens than an 8k context window, fewer than the notebook can process quickly)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "02_text_generation" / "data"


def builder():
    spec = importlib.util.spec_from_file_location("build_annals", DATA / "build_annals.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_annals", module)  # dataclasses look their module up
    spec.loader.exec_module(sys.modules["build_annals"])
    module = sys.modules["build_annals"]
    return module


def test_document_is_exactly_what_the_builder_writes():
    b = builder()
    assert (DATA / "annals_of_vellmar.md").read_text(encoding="utf-8") == b.build()


def test_document_is_longer_than_an_8k_context_and_fits_the_lab_budget():
    from local_bedrock.text.tokens import count_tokens

    tokens = count_tokens((DATA / "annals_of_vellmar.md").read_text(encoding="utf-8"))
    assert 15_000 <= tokens <= 30_000, tokens


def test_every_written_event_and_one_register_entry_per_year_is_in_the_document():
    b = builder()
    text = (DATA / "annals_of_vellmar.md").read_text(encoding="utf-8")
    for era in b.ERAS:
        assert f"{era.title} ({era.start}-{era.end})" in text
        for year, event in era.events.items():
            assert f"**{year}.** {event}" in text
    years = {int(y) for y in re.findall(r"(?:register for|In|For|^)\s?(\d{4})[ ,]", text, re.M)}
    assert set(range(1780, 2020)) <= years | {y for e in b.ERAS for y in e.events}


def test_eras_cover_the_years_without_gaps_or_overlaps():
    eras = builder().ERAS
    assert eras[0].start == 1780 and eras[-1].end == 2019
    for prev, nxt in zip(eras, eras[1:], strict=False):
        assert nxt.start == prev.end + 1
