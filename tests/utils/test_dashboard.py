"""utils.dashboard: headline numbers by hand, filters, the widget driven from code, and the
static HTML report (self-contained, real PNGs) that `make preflight` writes."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

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


# -- #18: the notebook filter, calls from scripts, and calls within one period ------------------
REPO = Path(__file__).resolve().parents[2]
SCRIPTS = "(scripts and tests)"

def test_notebook_filter_shows_paths_relative_to_the_repo():
    inside = str(REPO / "08_llmops" / "06_operations_dashboard.ipynb")  # Jupyter's
    other_clone = "/home/someone/bedrock-workshop-2/03_knowledge_bases/01_rag.ipynb"
    records = [rec(1, lab="08_llmops", nb=inside), rec(2, lab="03_knowledge_bases", nb=other_clone),
               rec(3, nb="08_llmops/02_metrics_and_alarms.ipynb")]  # WORKSHOP_NOTEBOOK's form
    assert dashboard.choices(records)["notebook"] == [
        "All", "03_knowledge_bases/01_rag.ipynb", "08_llmops/02_metrics_and_alarms.ipynb",
        "08_llmops/06_operations_dashboard.ipynb"]
    assert len(dashboard.select(records, notebook="08_llmops/06_operations_dashboard.ipynb")) == 1


def test_calls_from_scripts_and_tests_are_labelled_as_such():
    checkout = REPO.name  # python -m / pytest from the repo root log the folder's name
    records = [rec(1, lab=checkout, nb=""), rec(2, lab="tmp", nb=""), rec(3),
               rec(4, lab="tests", nb=str(REPO / "01_prompt_engineering" / "01.ipynb"))]
    assert [dashboard.lab_of(r) for r in records] == [
        SCRIPTS, SCRIPTS, "08_llmops", "01_prompt_engineering"]
    assert checkout not in dashboard.choices(records)["lab"]
    assert dashboard.lab_of({"modelId": MICRO}) == "(none)"  # no workshop context at all
    rows = {r["lab"]: r for r in dashboard.by_lab(records).rows}
    assert rows[SCRIPTS]["calls"] == 2


def test_timeline_of_calls_within_one_period_has_a_readable_axis():
    records = [dict(rec(0, model=(MICRO, LITE)[i % 2]),
                    timestamp=f"2025-03-04T10:00:00.{3 + i:03d}Z", requestId=f"q{i}")
               for i in range(12)]  # 12 calls within 15 ms (the #18 report)
    fig = dashboard.fig_timeline(records)
    fig.canvas.draw()
    for ax in fig.axes[1:]:  # tokens and calls: bars as wide as 80 % of the 1 s period
        assert all(bar.get_width() * 86400 < 1 for bar in ax.patches)
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        assert (hi - lo) * 86400 < 2  # the axis covers the period, so ticks are distinct
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert "00:00:00" not in labels and len(set(labels)) == len(labels) > 1


# -- #17: cost per team (application profiles' tags) and guardrail interventions -----------------
APP = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/"


def test_cost_per_team_prices_each_profile_as_the_model_it_copies(monkeypatch):
    from utils import cost

    monkeypatch.setattr(cost, "_PROFILES", {
        APP + "aaa": {"id": "aaa", "name": "support", "model": LITE, "tags": {"team": "support"}},
        APP + "bbb": {"id": "bbb", "name": "misc", "model": MICRO, "tags": {}}})
    records = [rec(1, model=APP + "aaa"), rec(2, model=APP + "aaa"), rec(3, model=APP + "bbb"),
               rec(4, model=APP + "zzz"), rec(5)]
    rows = {r["team"]: r for r in dashboard.cost_per_team(records).rows}
    assert rows["support"]["calls"] == 2
    assert rows["support"]["USD"] == pytest.approx(2 * cost_usd(LITE, 100, 50), abs=1e-6)
    assert rows["(untagged)"]["USD"] == pytest.approx(cost_usd(MICRO, 100, 50), abs=1e-6)
    assert rows["(unknown profile)"]["USD"] == 0  # no model known: no price (not a guess)
    assert rows["(no profile)"]["calls"] == 1 and rows["TOTAL"]["calls"] == 5


def guarded(second: int, version: str, action: str, trace: dict | None = None) -> dict:
    r = rec(second)
    r["workshop"]["guardrail"] = {"id": "gr1", "version": version, "action": action}
    r["output"]["outputBodyJson"] = {"stopReason": "guardrail_intervened"} if trace is None \
        else {"trace": {"guardrail": trace}}
    return r


def test_guardrail_summary_per_version_and_per_policy_from_traces():
    topic = {"topicPolicy": {"topics": [{"name": "x", "type": "DENY", "action": "BLOCKED",
                                         "detected": True}]},
             "invocationMetrics": {"usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 1}}}
    clean = {"contentPolicy": {"filters": [{"type": "HATE", "action": "NONE", "detected": False}]},
             "invocationMetrics": {"usage": {"topicPolicyUnits": 2, "contentPolicyUnits": 2}}}
    records = [guarded(1, "1", "INTERVENED", {"inputAssessment": {"gr1": topic}}),
               guarded(2, "1", "NONE", {"inputAssessment": {"gr1": clean},
                                        "outputAssessments": {"gr1": [clean]}}),
               guarded(3, "2", "INTERVENED"), rec(4)]
    summary = dashboard.guardrail_summary(records)
    assert summary["version"] == [
        {"guardrail": "gr1", "GuardrailVersion": "1", "Invocations": 2,
         "InvocationsIntervened": 1, "intervened": "50%"},
        {"guardrail": "gr1", "GuardrailVersion": "2", "Invocations": 1,
         "InvocationsIntervened": 1, "intervened": "100%"}]
    policy = {r["GuardrailPolicyType"]: r for r in summary["policy"]}
    assert policy["TopicPolicy"] == {"GuardrailPolicyType": "TopicPolicy",
                                     "InvocationsIntervened": 1, "TextUnitCount": 5}
    assert policy["ContentPolicy"]["InvocationsIntervened"] == 0
    assert policy["(no trace)"]["InvocationsIntervened"] == 1
    assert len(dashboard.fig_guardrails(records).axes) == 2
