"""utils.dashboard: headline numbers by hand, filters, the widget driven from code, and the
static HTML report (self-contained, real PNGs) that `make preflight` writes."""

from __future__ import annotations

import base64
import json
import re

import matplotlib
import pytest

from local_bedrock.catalog import cost_usd
from utils import dashboard
from utils.invocation_log import LOG_FILE

matplotlib.use("Agg")
MICRO, LITE = "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"


def rec(second: int, lab="08_llmops", nb="08_llmops/01.ipynb", model=MICRO, latency=100.0,
        error=None) -> dict:
    return {"timestamp": f"2025-03-04T10:00:{second:02d}.000Z", "modelId": model,
            "requestId": f"r{second}", "operation": "Converse", "latencyMs": latency,
            "error": error, "input": {"inputTokenCount": 0 if error else 100},
            "output": {"outputTokenCount": 0 if error else 50},
            "workshop": {"mode": "offline", "lab": lab, "notebook": nb}}


THROTTLE = {"code": "ThrottlingException", "message": "", "status": 429}
RECORDS = [rec(1, latency=10), rec(2, latency=20), rec(3, latency=30, model=LITE),
           rec(4, error=THROTTLE), rec(5, lab="01_prompt_engineering", nb="01/02.ipynb",
                                       latency=40)]


def write_logs(path, records) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / LOG_FILE, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def test_kpis_by_hand():
    k = dashboard.kpis(RECORDS)
    assert (k["calls"], k["ok"], k["throttled"], k["error rate"]) == (5, 4, 1, "20.0%")
    assert k["input tokens"] == 400 and k["output tokens"] == 200
    expected = 3 * cost_usd(MICRO, 100, 50) + cost_usd(LITE, 100, 50)
    assert k["USD"] == pytest.approx(expected, abs=1e-6)
    assert k["p50 ms"] == 25.0 and k["p90 ms"] == 37.0  # of 10, 20, 30, 40
    assert (k["labs"], k["models"]) == (2, 2)


def test_filters_and_choices():
    assert len(dashboard.select(RECORDS, lab="08_llmops")) == 4
    assert len(dashboard.select(RECORDS, lab="08_llmops", outcome="throttle")) == 1
    assert len(dashboard.select(RECORDS, model=LITE)) == 1
    opts = dashboard.choices(RECORDS, lab="01_prompt_engineering")
    assert opts["notebook"] == ["All", "01/02.ipynb"] and opts["lab"][0] == "All"
    errs = dashboard.errors_table(RECORDS).rows
    assert errs == [{"error": "ThrottlingException", "lab": "08_llmops", "calls": 1}]


def test_auto_period_keeps_at_most_60_points():
    assert dashboard.auto_period(RECORDS) == 1  # 4 s span
    spread = [dict(r, timestamp=f"2025-03-0{d}T10:00:00.000Z") for d, r in zip((1, 4), RECORDS)]
    assert dashboard.auto_period(spread) == 6 * 3600  # 3 days / 6 h = 12 points


def test_widget_is_driven_from_code(tmp_path):
    write_logs(tmp_path, RECORDS)
    d = dashboard.Dashboard(log_dir=tmp_path)
    assert len(d.selected) == 5 and d.renders == 1
    d.lab.value = "08_llmops"
    assert d.notebook.options == ("All", "08_llmops/01.ipynb")
    assert {r["workshop"]["lab"] for r in d.selected} == {"08_llmops"}
    assert "<b>4</b><br><small>calls</small>" in d.headline.value
    d.view.value = "Timeline"
    assert d.renders == 3 and len(d.figure.axes) == 3 and d.png.startswith(b"\x89PNG")
    write_logs(tmp_path, [rec(9, latency=5)])
    d.refresh()
    assert len(d.selected) == 5
    d.set(lab="01_prompt_engineering", outcome="ok", view="Overview")  # one redraw for three
    assert d.renders == 5 and len(d.selected) == 1 and d.notebook.value == "All"


def test_export_html_is_self_contained_with_real_pngs(tmp_path):
    write_logs(tmp_path / "logs", RECORDS)
    out = dashboard.export_html(tmp_path / "logs", tmp_path / "report" / "ops.html")
    page = out.read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == len(dashboard.FIGURES)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "5 invocation records" in page and "ThrottlingException" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere


def test_export_html_with_no_logs(tmp_path):
    out = dashboard.export_html(tmp_path / "empty", tmp_path / "r.html")
    assert "0 invocation records" in out.read_text()
