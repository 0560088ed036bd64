"""Small display helpers: tables as HTML in Jupyter and as aligned text everywhere else."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


class Table:
    """Rows of dicts shown as a table; `repr` is plain text (stable for nbval)."""

    def __init__(self, rows: Iterable[dict], columns: Sequence[str] | None = None,
                 title: str = ""):
        self.rows = list(rows)
        self.columns = list(columns or (self.rows[0].keys() if self.rows else []))
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        cells = [[_fmt(r.get(c, "")) for c in self.columns] for r in self.rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()  # noqa: E731
        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c, '')))}</td>"
                                        for c in self.columns) + "</tr>" for r in self.rows)
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table(rows: Iterable[dict], columns: Sequence[str] | None = None, title: str = "") -> Table:
    """Build a Table (display it by leaving it as a cell's last expression)."""
    return Table(rows, columns, title)


def text_of(response: dict) -> str:
    """The text of a Converse response (all text blocks joined)."""
    blocks = response["output"]["message"]["content"]
    return "".join(b.get("text", "") for b in blocks)


def short(text: str, limit: int = 300) -> str:
    """Text cut to `limit` characters with an ellipsis, for compact notebook output."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
