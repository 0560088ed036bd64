"""The operations dashboard over the workshop's invocation logs: headline numbers, figures,
an ipywidgets view with filters, and a static HTML report (used by `make preflight`).

    records = utils.dashboard.load()                 # every call the workshop logged
    utils.dashboard.Dashboard(records).widget        # filters + views, in a notebook
    utils.dashboard.export_html(log_dir, "report.html")

Metrics carry Bedrock's CloudWatch names (`utils.metrics`), cost the registry's prices
(`utils.cost`). Everything is computed from the log records, so it works in every mode.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re
from collections import Counter, defaultdict
from pathlib import Path, PurePath
from typing import Callable, Iterable

from utils import cost, metrics
from utils.display import Table, _fmt

ALL = "All"
OUTCOMES = ("ok", "throttle", "client", "server")
MAX_MODELS_PER_FIGURE = 4
TEAM_TAG = "team"  # the application-profile tag the cost-per-team view splits by (08.07)
SCRIPTS = "(scripts and tests)"  # calls made outside a lab folder (python -m, pytest, ...)
_PERIODS = (1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400)
_LAB = re.compile(r"^\d{2}_[A-Za-z0-9_]+$")  # a lab folder: 00_prerequisites ... 08_llmops
REPO = Path(__file__).resolve().parent.parent


def load(log_dir: str | os.PathLike | None = None) -> list[dict]:
    """Every invocation record in the log directory (default: the workshop's); the application
    profiles snapshot beside it is loaded too (pricing and cost per team, `utils.cost`)."""
    from utils.invocation_log import default_log_dir, read_logs

    cost.load_profiles(log_dir or default_log_dir())
    return read_logs(log_dir)


def notebook_of(r: dict) -> str:
    """The notebook a record came from, relative to the repository ("08_llmops/06_x.ipynb"),
    as the filters show it; "(none)" if unknown (the logger knows it when WORKSHOP_NOTEBOOK or
    Jupyter's session name, an absolute path, is set)."""
    name = (r.get("workshop") or {}).get("notebook") or ""
    if not name:
        return "(none)"
    path = PurePath(name)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:  # another checkout: keep "<lab>/<notebook>" when the folder is a lab
        parts = path.parts
        return f"{parts[-2]}/{parts[-1]}" if len(parts) > 1 and _LAB.match(parts[-2]) \
            else path.name


def lab_of(r: dict) -> str:
    """The lab a record came from, as the filters show it: the lab folder the call was made in
    (or its notebook's), "(scripts and tests)" for calls made elsewhere (the logger records the
    current folder's name, e.g. the checkout's, for `python -m` and pytest), "(none)" if the
    record carries no workshop context."""
    context = r.get("workshop") or {}
    lab = context.get("lab") or ""
    if _LAB.match(lab):
        return lab
    first = notebook_of(r).split("/")[0]
    if _LAB.match(first):
        return first
    return SCRIPTS if context else "(none)"


_lab, _notebook = lab_of, notebook_of


def _grouping(fn: Callable[[dict], str], column: str) -> Callable[[dict], str]:
    """`fn` as a `utils.cost` grouping whose table column is `column`."""
    def group(record: dict) -> str:
        return fn(record)

    group.column = column  # type: ignore[attr-defined]
    return group


def _when(r: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))


def choices(records: Iterable[dict], lab: str = ALL) -> dict[str, list[str]]:
    """The values each filter can take (notebooks restricted to `lab`)."""
    records = list(records)
    in_lab = [r for r in records if lab == ALL or _lab(r) == lab]
    return {"lab": [ALL] + sorted({_lab(r) for r in records}),
            "notebook": [ALL] + sorted({_notebook(r) for r in in_lab}),
            "model": [ALL] + sorted({r.get("modelId", "") for r in records}),
            "outcome": [ALL, *OUTCOMES]}


def select(records: Iterable[dict], lab: str = ALL, notebook: str = ALL, model: str = ALL,
           outcome: str = ALL) -> list[dict]:
    """The records matching every filter that is not "All"."""
    return [r for r in records
            if (lab == ALL or _lab(r) == lab) and (notebook == ALL or _notebook(r) == notebook)
            and (model == ALL or r.get("modelId") == model)
            and (outcome == ALL or metrics.classify(r) == outcome)]


def kpis(records: Iterable[dict]) -> dict:
    """Headline numbers: calls, failures, tokens, cost, latency percentiles, time span."""
    records = list(records)
    kinds = Counter(metrics.classify(r) for r in records)
    lat = [r.get("latencyMs", 0.0) for r in records if metrics.classify(r) == "ok"]
    times = sorted(_when(r) for r in records)
    return {
        "calls": len(records), "ok": kinds["ok"], "throttled": kinds["throttle"],
        "client errors": kinds["client"], "server errors": kinds["server"],
        "error rate": f"{(len(records) - kinds['ok']) / len(records):.1%}" if records else "-",
        "input tokens": sum(cost.tokens(r)[0] for r in records),
        "output tokens": sum(cost.tokens(r)[1] for r in records),
        "USD": round(sum(cost.record_cost(r) for r in records), 6),
        "p50 ms": round(metrics.percentile(lat, 50), 1),
        "p90 ms": round(metrics.percentile(lat, 90), 1),
        "labs": len({_lab(r) for r in records}),
        "models": len({r.get("modelId") for r in records}),
        "from": times[0].strftime("%Y-%m-%d %H:%M") if times else "-",
        "to": times[-1].strftime("%Y-%m-%d %H:%M") if times else "-",
    }


def kpi_table(records: Iterable[dict]) -> Table:
    """`kpis` as a one-row table."""
    return Table([kpis(records)], title="Workshop operations")


def by_lab(records: Iterable[dict]) -> Table:
    """Calls, failures, tokens and cost per lab."""
    return cost.table(records, _grouping(lab_of, "lab"), title="By lab")


def errors_table(records: Iterable[dict]) -> Table:
    """Failed calls by error code and lab, most frequent first."""
    counts = Counter((((r.get("error") or {}).get("code") or r.get("errorCode") or "?"), _lab(r))
                     for r in records if metrics.classify(r) != "ok")
    rows = [{"error": code, "lab": lab, "calls": n} for (code, lab), n in counts.most_common()]
    return Table(rows, ["error", "lab", "calls"], title="Errors")


def auto_period(records: Iterable[dict], buckets: int = 60) -> int:
    """A CloudWatch-style period (s) giving at most `buckets` points over the records' span."""
    times = [_when(r) for r in records]
    if len(times) < 2:
        return 60
    span = (max(times) - min(times)).total_seconds()
    return next((p for p in _PERIODS if span / p <= buckets), _PERIODS[-1])


# -- figures -------------------------------------------------------------------------------------
def _empty(title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}: no calls logged yet", ha="center", va="center")
    return fig


def fig_overview(records: Iterable[dict]):
    """Four panels: calls by outcome per lab, cost per lab, latency percentiles per model,
    failed calls by error code."""
    import matplotlib.pyplot as plt

    records = list(records)
    if not records:
        return _empty("Overview")
    fig, axes = plt.subplots(2, 2, figsize=(13, 7.5))
    labs = sorted({_lab(r) for r in records})
    colours = {"ok": "#4c78a8", "throttle": "#b279a2", "client": "#f58518", "server": "#e45756"}
    counts = Counter((_lab(r), metrics.classify(r)) for r in records)
    usd_by_lab: Counter = Counter()
    for r in records:
        usd_by_lab[_lab(r)] += cost.record_cost(r)
    left = [0] * len(labs)
    for kind in OUTCOMES:
        vals = [counts[(lab, kind)] for lab in labs]
        axes[0][0].barh(labs, vals, left=left, color=colours[kind], label=kind)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    axes[0][0].set_title("Calls by outcome, per lab")
    axes[0][0].legend(fontsize=7)
    axes[0][0].invert_yaxis()
    usd = [usd_by_lab[lab] for lab in labs]
    axes[0][1].barh(labs, usd, color="#54a24b")
    axes[0][1].set_title("Cost per lab (USD, on-demand prices)")
    axes[0][1].invert_yaxis()
    rows = metrics.summary(records)
    names = [r["ModelId"].split(".", 1)[-1][:26] for r in rows]
    for q, marker in ((50, "o"), (90, "s"), (99, "^")):
        axes[1][0].scatter([max(r[f"LatencyP{q}Ms"], 0.1) for r in rows], names, marker=marker,
                           label=f"p{q}")
    axes[1][0].set_xscale("log")
    axes[1][0].set_title("InvocationLatency per model (ms, log scale)")
    axes[1][0].legend(fontsize=7)
    axes[1][0].invert_yaxis()
    errs = Counter(((r.get("error") or {}).get("code") or r.get("errorCode") or "?")
                   for r in records if metrics.classify(r) != "ok")
    if errs:
        codes, counts = zip(*errs.most_common(8), strict=True)
        axes[1][1].barh(codes, counts, color="#e45756")
        axes[1][1].invert_yaxis()
    else:
        axes[1][1].text(0.5, 0.5, "no failed calls", ha="center", va="center")
    axes[1][1].set_title("Failed calls by error code")
    for ax in axes.flat:
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def fig_timeline(records: Iterable[dict], period_s: int | None = None):
    """Latency p50/p90/p99, tokens and calls by outcome over time (`utils.metrics` series)."""
    records = list(records)
    if not records:
        return _empty("Timeline")
    period = period_s or auto_period(records)
    models = {r.get("modelId") for r in records}
    if len(models) > MAX_MODELS_PER_FIGURE:  # one line per percentile, not one per model
        records = [{**r, "modelId": f"all {len(models)} models"} for r in records]
    return metrics.plot_timeseries(metrics.timeseries(records, period),
                                   title=f"Over time ({period} s periods)", period_s=period)


def fig_models(records: Iterable[dict]):
    """Per model (the most-called ones): calls by outcome, tokens, latency percentiles
    (`utils.metrics.plot`)."""
    records = list(records)
    if not records:
        return _empty("Models")
    top = {m for m, _ in Counter(r.get("modelId") for r in records).most_common(
        MAX_MODELS_PER_FIGURE * 2)}
    fig = metrics.plot([r for r in records if r.get("modelId") in top])
    if len(top) < len({r.get("modelId") for r in records}):
        fig.suptitle(f"The {len(top)} most-called models", y=1.02)
    return fig


def cost_per_team(records: Iterable[dict], key: str = TEAM_TAG) -> Table:
    """Calls, tokens and cost per value of the application profiles' `key` tag (08.07);
    calls made with a model or system profile id appear as "(no profile)"."""
    return cost.table(records, cost.by_tag(key), title=f"Cost per {key} (application "
                                                       "inference profiles' tags)")


def fig_teams(records: Iterable[dict]):
    """Cost per team (the `team` tag of the application profile each call went through, 08.07),
    and calls per team next to the calls made without a profile (log scale: they usually
    dominate)."""
    import matplotlib.pyplot as plt

    records = list(records)
    if not records:
        return _empty("Teams")
    rows = cost.summary(records, cost.by_tag(TEAM_TAG))
    teams = [r for r in rows if r[TEAM_TAG] != cost.NO_PROFILE]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.45 * len(rows) + 1.9))
    axes[0].barh([r[TEAM_TAG] for r in teams], [r["USD"] for r in teams], color="#54a24b")
    axes[0].set_title(f"Cost per {TEAM_TAG} tag (USD, on-demand prices)")
    if not teams:
        axes[0].text(0.5, 0.5, "no calls through application profiles yet (08.07)",
                     ha="center", va="center", transform=axes[0].transAxes)
    axes[1].barh([r[TEAM_TAG] for r in rows], [r["calls"] for r in rows],
                 color=["#bab0ac" if r[TEAM_TAG] == cost.NO_PROFILE else "#4c78a8"
                        for r in rows])
    axes[1].set_xscale("log")
    axes[1].set_title("Calls (log scale)")
    for ax in axes:
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _assessments(record: dict) -> list[dict]:
    """The guardrail assessments a logged answer carries (only when the call enabled trace)."""
    body = (record.get("output") or {}).get("outputBodyJson")
    if not isinstance(body, dict):
        return []
    trace = ((body.get("trace") or {}).get("guardrail")
             or (body.get("amazon-bedrock-trace") or {}).get("guardrail") or {})
    found = list((trace.get("inputAssessment") or {}).values())
    found += [a for items in (trace.get("outputAssessments") or {}).values() for a in items]
    found += list((trace.get("input") or {}).values())
    found += [a for item in trace.get("outputs") or [] for a in item.values()]
    return [a for a in found if isinstance(a, dict)]


def guardrail_summary(records: Iterable[dict]) -> dict:
    """Guarded model calls in the logs, shaped like `utils.metrics.read_guardrail_metrics`:
    per guardrail version, calls ("Invocations") and calls where it intervened; per policy
    type, calls where that policy intervened (from the assessments of calls made with trace;
    interventions without a trace count as "(no trace)")."""
    from local_bedrock.observability.guardrail_metrics import policy_results

    versions: dict[tuple, dict] = {}
    policies: dict[str, dict] = defaultdict(lambda: {"InvocationsIntervened": 0,
                                                     "TextUnitCount": 0})
    for r in records:
        g = (r.get("workshop") or {}).get("guardrail")
        if not g:
            continue
        row = versions.setdefault((g.get("id"), str(g.get("version"))), {
            "guardrail": str(g.get("id")), "GuardrailVersion": str(g.get("version")),
            "Invocations": 0, "InvocationsIntervened": 0})
        row["Invocations"] += 1
        intervened = g.get("action") == "INTERVENED"
        row["InvocationsIntervened"] += intervened
        by_policy: set[str] = set()
        for assessment in _assessments(r):
            found, units = policy_results(assessment)
            by_policy |= found
            for policy, n in units.items():
                policies[policy]["TextUnitCount"] += n
        for policy in by_policy:
            policies[policy]["InvocationsIntervened"] += 1
        if intervened and not by_policy:
            policies["(no trace)"]["InvocationsIntervened"] += 1
    rows = []
    for row in (versions[k] for k in sorted(versions, key=str)):
        rate = row["InvocationsIntervened"] / row["Invocations"]
        rows.append({**row, "intervened": f"{rate:.0%}"})
    return {"policy": [{"GuardrailPolicyType": p, **v} for p, v in sorted(policies.items())],
            "version": rows}


def fig_guardrails(records: Iterable[dict]):
    """Interventions per guardrail policy and per guardrail version, from the logged calls."""
    summary = guardrail_summary(records)
    if not summary["version"]:
        return _empty("Guardrails (no guarded model calls)")
    return metrics.plot_guardrail_interventions(
        summary, title="Guarded model calls in the invocation logs")


FIGURES: dict[str, Callable] = {"Overview": fig_overview, "Timeline": fig_timeline,
                                "Models": fig_models, "Teams": fig_teams,
                                "Guardrails": fig_guardrails}


# -- the interactive dashboard ---------------------------------------------------------------
class Dashboard:
    """Filters (lab, notebook, model, outcome) and a view selector over the records; the
    headline numbers and the chosen figure update on every change. Drivable from code: set a
    widget's `.value`, or call `refresh()` after new calls."""

    def __init__(self, records: Iterable[dict] | None = None,
                 log_dir: str | os.PathLike | None = None):
        import ipywidgets as w

        self.log_dir = log_dir
        self.records = list(records) if records is not None else load(log_dir)
        opts = choices(self.records)
        self.lab = w.Dropdown(options=opts["lab"], value=ALL, description="Lab")
        self.notebook = w.Dropdown(options=opts["notebook"], value=ALL, description="Notebook",
                                   layout=w.Layout(width="420px"))
        self.model = w.Dropdown(options=opts["model"], value=ALL, description="Model",
                                layout=w.Layout(width="420px"))
        self.outcome = w.Dropdown(options=opts["outcome"], value=ALL, description="Outcome")
        self.view = w.ToggleButtons(options=list(FIGURES), value="Overview", description="View")
        self.reload = w.Button(description="Reload logs", icon="refresh")
        self.headline = w.HTML()
        self.image = w.Image(format="png")  # a widget value, not display output: headless-safe
        self.figure = None
        self.png = b""  # the last view drawn, as PNG bytes
        self.renders = 0
        self.dpi = 60  # the PNG shown in the widget (kept small: notebooks store widget state)
        self._quiet = False
        for control in (self.notebook, self.model, self.outcome, self.view):
            control.observe(lambda _: self.render(), names="value")
        self.lab.observe(self._lab_changed, names="value")
        self.reload.on_click(lambda _: self.refresh())
        self.widget = w.VBox([w.HBox([self.lab, self.outcome, self.reload]),
                              w.HBox([self.notebook, self.model]), self.view, self.headline,
                              self.image])
        self.render()

    @property
    def selected(self) -> list[dict]:
        """The records passing the current filters."""
        return select(self.records, self.lab.value, self.notebook.value, self.model.value,
                      self.outcome.value)

    def set(self, **values) -> None:
        """Change several controls (lab, notebook, model, outcome, view) and redraw once;
        the lab is applied first, since it decides the notebooks on offer."""
        self._quiet = True
        try:
            for name in ("lab", "notebook", "model", "outcome", "view"):
                if name in values:
                    getattr(self, name).value = values[name]
        finally:
            self._quiet = False
        self.render()

    def _lab_changed(self, _change) -> None:
        options = choices(self.records, self.lab.value)["notebook"]
        with self.notebook.hold_trait_notifications():
            self.notebook.options = options
            self.notebook.value = ALL
        self.render()

    def refresh(self) -> None:
        """Reload the log file (new calls since the dashboard opened) and redraw."""
        self.records = load(self.log_dir)
        opts = choices(self.records, self.lab.value)
        for control, key in ((self.lab, "lab"), (self.model, "model"),
                             (self.notebook, "notebook")):
            if control.value not in opts[key]:
                control.value = ALL
            control.options = opts[key]
        self.render()

    def render(self) -> None:
        """Redraw the headline and the selected view."""
        if self._quiet:
            return
        chosen = self.selected
        k = kpis(chosen)
        cells = "".join(f"<td style='padding:0 10px'><b>{html.escape(_fmt(v))}</b><br>"
                        f"<small>{html.escape(name)}</small></td>" for name, v in k.items()
                        if name not in ("from", "to"))
        self.headline.value = f"<table><tr>{cells}</tr></table>"
        self.figure = FIGURES[self.view.value](chosen)
        self.png = base64.b64decode(_png(self.figure, self.dpi))  # closes it: no second copy
        self.image.value = self.png
        self.renders += 1


# -- static report ---------------------------------------------------------------------------
def _png(fig, dpi: int = 90) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # no bbox_inches="tight": it draws twice
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def png(fig, dpi: int = 72) -> bytes:
    """A figure as PNG bytes (and closed), e.g. for `IPython.display.Image`: smaller than the
    inline backend's copy, which keeps notebooks light."""
    return base64.b64decode(_png(fig, dpi))


def _html_table(table: Table) -> str:
    return table._repr_html_()


def export_html(log_dir: str | os.PathLike | None, path: str | os.PathLike) -> Path:
    """Write a self-contained HTML report (tables + the dashboard's figures as embedded PNGs)
    over the invocation logs in `log_dir`; return its path."""
    records = load(log_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    modes = ", ".join(sorted({(r.get("workshop") or {}).get("mode", "?") for r in records})) or "-"
    parts = [f"<h1>Workshop operations report</h1><p>Generated {now} from "
             f"{len(records)} invocation records ({html.escape(modes)} mode) in "
             f"<code>{html.escape(str(log_dir or 'the default log directory'))}</code>. Costs are "
             "tokens x the registry's on-demand prices.</p>",
             _html_table(kpi_table(records)), _html_table(by_lab(records)),
             _html_table(cost_per_team(records)),
             _html_table(Table(cost.summary(records, _grouping(notebook_of, "notebook")),
                               title="By notebook")),
             _html_table(errors_table(records))]
    for name, make in FIGURES.items():
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' "
                     f"src='data:image/png;base64,{_png(make(records))}'>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:"
             "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}"
             "caption{font-weight:bold;text-align:left}img{max-width:100%}")
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Workshop "
                    f"operations report</title><style>{style}</style></head><body>"
                    + "".join(parts) + "</body></html>", encoding="utf-8")
    return path
