"""Lab 06 agent helpers: the shared tools, a plain-Python agent loop, traces, evaluation.

The tools are ordinary Python functions with Converse tool specs (JSON schemas):

- `calculator`            safe arithmetic (an AST walk, never `eval`)
- `lookup_order`          one order from the mock order system (SQLite, 06_agents/data/orders.db)
- `list_customer_orders`  a customer's orders by email, optionally by status
- `convert_currency`      fixed workshop reference rates (not live rates)
- `search_knowledge_base` retrieval over lab 03's Kestrel corpus (see `KnowledgeBase`)
- `open_support_ticket`   a mock ticket (nested input; nothing is stored)

Every framework in the lab (the Converse loop below, LangChain/LangGraph, Strands) runs the
same functions through `Toolbox.execute`, which validates the model's input against the
tool's schema first and turns exceptions into `status: error` results.
"""

from __future__ import annotations

import ast
import hashlib
import json
import operator
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import jsonschema

from local_bedrock.catalog import cost_usd
from utils.display import Table, short

REPO = Path(__file__).resolve().parent.parent
LAB = REPO / "06_agents"
ORDERS_DB = LAB / "data" / "orders.db"
TASKS_FILE = LAB / "data" / "tasks.jsonl"
CORPUS_DIR = REPO / "03_knowledge_bases" / "data" / "corpus"

SYSTEM_PROMPT = ("You are the support assistant of Kestrel Home Robotics. Use the tools to look "
                 "up orders, search the company's documents, convert currencies and do "
                 "arithmetic. Answer briefly, only from tool results; if a tool fails, say so.")


class ToolError(Exception):
    """A tool's own failure (bad id, not found): becomes a `status: error` tool result."""


# =========================================================================== tool specs

ORDER_ID = {"type": "string", "pattern": r"^ORD-\d{5}$",
            "description": "The order id, like ORD-20417."}
CURRENCIES = ["USD", "EUR", "GBP", "CAD", "JPY"]
CURRENCY_HELP = ("ISO code: USD (US dollars, dollars, $), EUR (euros, euro, €), GBP (pounds, "
                 "pound sterling, £), CAD (Canadian dollars), JPY (yen)")
ORDER_STATUSES = ["processing", "shipped", "delivered", "cancelled", "returned"]

TOOL_SPECS: dict[str, dict] = {
    "calculator": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression exactly: sums, differences, products, "
                       "divisions, percentages and discounts. Use it instead of mental math.",
        "inputSchema": {"json": {
            "type": "object",
            "properties": {"expression": {
                "type": "string",
                "description": "The arithmetic expression, with numbers, + - * / ** and "
                               "parentheses, e.g. (649 - 49) * 0.9"}},
            "required": ["expression"]}},
    },
    "lookup_order": {
        "name": "lookup_order",
        "description": "Look up one order from the Kestrel online store by its order id: "
                       "status, items, total, currency, carrier, tracking number and dates.",
        "inputSchema": {"json": {"type": "object", "properties": {"order_id": ORDER_ID},
                                 "required": ["order_id"]}},
    },
    "list_customer_orders": {
        "name": "list_customer_orders",
        "description": "List the orders a customer placed, found by the customer's email "
                       "address, optionally only the orders with one status.",
        "inputSchema": {"json": {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email",
                          "description": "The customer's email address."},
                "status": {"type": "string", "enum": ORDER_STATUSES,
                           "description": "Only orders with this status."}},
            "required": ["email"]}},
    },
    "convert_currency": {
        "name": "convert_currency",
        "description": "Convert an amount of money from one currency to another at the "
                       "workshop's fixed reference exchange rates.",
        "inputSchema": {"json": {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "minimum": 0,
                           "description": "The amount of money to convert."},
                "from_currency": {"type": "string", "enum": CURRENCIES,
                                  "description": f"Currency of the amount. {CURRENCY_HELP}."},
                "to_currency": {"type": "string", "enum": CURRENCIES,
                                "description": f"Currency to convert to. {CURRENCY_HELP}."}},
            "required": ["amount", "from_currency", "to_currency"]}},
    },
    "search_knowledge_base": {
        "name": "search_knowledge_base",
        "description": "Search Kestrel Home Robotics' documents: product manuals and FAQs (Wren "
                       "V3 vacuum, Heron M2 mop, Kite L1 mower, Sparrow S1 window robot, Kestrel "
                       "Hub 2), warranty, returns, shipping and Care+ policies, the employee "
                       "handbook (leave, benefits, travel, expenses) and company memos. Returns "
                       "the most relevant passages with their document ids.",
        "inputSchema": {"json": {
            "type": "object",
            "properties": {
                "query": {"type": "string",
                          "description": "What to search for, in natural language."},
                "max_results": {"type": "integer", "minimum": 1, "maximum": 8,
                                "description": "How many passages to return (default 3)."}},
            "required": ["query"]}},
    },
    "open_support_ticket": {
        "name": "open_support_ticket",
        "description": "Open a support ticket for a customer's problem (damaged parcel, late "
                       "delivery, return, warranty claim, billing) so a human agent follows up.",
        "inputSchema": {"json": {
            "type": "object",
            "properties": {
                "customer": {"type": "object", "description": "Who the ticket is for.",
                             "properties": {
                                 "email": {"type": "string", "format": "email",
                                           "description": "The customer's email address."},
                                 "order_id": ORDER_ID},
                             "required": ["email"]},
                "category": {"type": "string",
                             "enum": ["delivery", "damaged_item", "return", "warranty",
                                      "billing", "other"],
                             "description": "The kind of problem: delivery (late or lost "
                                            "parcel), damaged_item (damaged, broken), return, "
                                            "warranty (faulty, defect), billing (charge, "
                                            "invoice), other."},
                "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"],
                             "description": "How urgent it is (default normal)."},
                "summary": {"type": "string",
                            "description": "One sentence describing the problem."}},
            "required": ["customer", "category", "summary"]}},
    },
}


# =========================================================================== tool functions

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
        ast.FloorDiv: operator.floordiv, ast.USub: operator.neg, ast.UAdd: operator.pos}


def calculator(expression: str) -> dict:
    """Evaluate +, -, *, /, //, %, ** and parentheses on numbers (no names, no calls)."""
    expr = expression.replace("×", "*").replace("÷", "/").replace("^", "**").replace(",", "")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ToolError(f"Not an arithmetic expression: {expression!r}") from None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ToolError("Exponent too large.")
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ToolError(f"Only numbers and + - * / ** % are allowed: {expression!r}")

    try:
        value = ev(tree)
    except ZeroDivisionError:
        raise ToolError("Division by zero.") from None
    value = round(value, 6)
    return {"expression": expression, "result": int(value) if value == int(value) else value}


def _db() -> sqlite3.Connection:
    if not ORDERS_DB.exists():
        import runpy

        runpy.run_path(str(LAB / "data" / "build_orders_db.py"))["build"]()
    con = sqlite3.connect(f"file:{ORDERS_DB}?mode=ro", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def lookup_order(order_id: str) -> dict:
    """One order with its items, from the SQLite order system."""
    order_id = order_id.strip().upper()
    with _db() as con:
        row = con.execute("SELECT o.*, c.name AS customer FROM orders o JOIN customers c "
                          "USING (customer_id) WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise ToolError(f"Order {order_id} not found.")
        items = con.execute("SELECT sku, product, qty, unit_price FROM order_items WHERE "
                            "order_id = ? ORDER BY line", (order_id,)).fetchall()
    out = {k: row[k] for k in ("order_id", "customer", "status", "placed_on", "shipping_method",
                               "carrier", "tracking", "shipped_on", "delivered_on", "total",
                               "currency")}
    out["items"] = [f"{i['qty']} x {i['product']} ({i['sku']})" for i in items]
    return {k: v for k, v in out.items() if v is not None}


def list_customer_orders(email: str, status: str | None = None) -> dict:
    """Order ids, dates, statuses and totals of one customer."""
    with _db() as con:
        cust = con.execute("SELECT customer_id, name FROM customers WHERE lower(email) = ?",
                           (email.strip().lower(),)).fetchone()
        if cust is None:
            raise ToolError(f"No customer with the email {email}.")
        sql = "SELECT order_id, placed_on, status, total, currency FROM orders WHERE customer_id = ?"
        args: list = [cust["customer_id"]]
        if status:
            sql += " AND status = ?"
            args.append(status)
        rows = con.execute(sql + " ORDER BY placed_on", args).fetchall()
    return {"customer": cust["name"], "orders": [dict(r) for r in rows]}


RATES_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.37, "JPY": 151.0}


def convert_currency(amount: float, from_currency: str, to_currency: str) -> dict:
    """Convert at fixed reference rates (workshop values, not market rates)."""
    for code in (from_currency, to_currency):
        if code not in RATES_PER_USD:
            raise ToolError(f"Unknown currency {code}.")
    value = round(amount / RATES_PER_USD[from_currency] * RATES_PER_USD[to_currency], 2)
    return {"amount": amount, "from": from_currency, "converted": value, "to": to_currency,
            "rate_note": "fixed workshop reference rates"}


def open_support_ticket(customer: dict, category: str, summary: str,
                        priority: str = "normal") -> dict:
    """A mock ticket: a deterministic id, nothing stored."""
    key = json.dumps([customer, category, summary, priority], sort_keys=True)
    ticket = "TCK-" + hashlib.sha256(key.encode()).hexdigest()[:6].upper()
    return {"ticket_id": ticket, "category": category, "priority": priority,
            "email": customer.get("email"), "order_id": customer.get("order_id"),
            "note": "mock ticket: nothing was stored"}


def search_knowledge_base(query: str, max_results: int = 3) -> dict:
    """The best passages of lab 03's corpus for a query (see KnowledgeBase)."""
    hits = knowledge_base().search(query, k=max_results)
    return {"results": [{"doc_id": h["doc_id"], "title": h["title"], "text": h["text"],
                         "score": h["score"]} for h in hits]}


TOOL_FUNCTIONS: dict[str, Callable[..., dict]] = {
    "calculator": calculator, "lookup_order": lookup_order,
    "list_customer_orders": list_customer_orders, "convert_currency": convert_currency,
    "search_knowledge_base": search_knowledge_base, "open_support_ticket": open_support_ticket,
}


# =========================================================================== knowledge base


class KnowledgeBase:
    """Lab 03's corpus chunked and embedded locally (WordLlama, via local_bedrock.text).

    A client-side index: it works the same in every mode (the tool runs in your process, as
    tools do). Lab 03 shows the managed alternative, Bedrock Knowledge Bases' Retrieve API.
    Score = 0.7 x cosine of the embeddings + 0.3 x BM25 normalised to the best hit.
    """

    def __init__(self, chunks: list[dict]):
        from rank_bm25 import BM25Okapi

        from local_bedrock.text import embeddings

        self.chunks = chunks
        self.vectors = embeddings.embed([f"{c['title']}: {c['text']}" for c in chunks])
        self.bm25 = BM25Okapi([_tokens(c["title"] + " " + c["text"]) for c in chunks])

    @classmethod
    def from_corpus(cls, corpus: Path = CORPUS_DIR, max_words: int = 160) -> "KnowledgeBase":
        chunks = []
        for path in sorted(corpus.iterdir()):
            if path.suffix not in (".md", ".txt", ".pdf"):
                continue
            title, sections = _read_document(path)
            for heading, body in sections:
                for piece in _windows(body, max_words):
                    chunks.append({"doc_id": path.stem, "title": f"{title} - {heading}".strip(
                        " -"), "text": piece})
        return cls(chunks)

    def search(self, query: str, k: int = 3) -> list[dict]:
        import numpy as np

        from local_bedrock.text import embeddings

        cos = self.vectors @ embeddings.embed([query])[0]
        bm = np.asarray(self.bm25.get_scores(_tokens(query)), dtype=float)
        bm = bm / bm.max() if bm.max() > 0 else bm
        score = 0.7 * cos + 0.3 * bm
        order = np.argsort(-score, kind="stable")[:k]
        return [{**self.chunks[i], "score": round(float(score[i]), 3)} for i in order]


_kb_lock = threading.Lock()


@lru_cache(maxsize=1)
def _kb() -> KnowledgeBase:
    return KnowledgeBase.from_corpus()


def knowledge_base() -> KnowledgeBase:
    """The lab's shared index (built once per process, ~1 s)."""
    with _kb_lock:
        return _kb()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _read_document(path: Path) -> tuple[str, list[tuple[str, str]]]:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        pages = [p.extract_text() or "" for p in PdfReader(str(path)).pages]
        text = "\n".join(re.sub(r"Kestrel Home Robotics - page \d+", "", p) for p in pages)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        title = lines[0].strip() if lines else path.stem
        return title, [("", "\n".join(lines[1:]))]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        title_m = re.search(r"^#\s+(.+)$", text, re.M)
        title = title_m.group(1).strip() if title_m else path.stem
        parts = re.split(r"^##\s+(.+)$", text, flags=re.M)
        sections = [("", re.sub(r"^#\s+.+$", "", parts[0], flags=re.M))]
        sections += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
        return title, [(h, b) for h, b in sections if b.strip()]
    lines = text.splitlines()
    return (lines[0].strip() if lines else path.stem), [("", "\n".join(lines[1:]))]


def _windows(body: str, max_words: int) -> list[str]:
    paras = [p.strip() for p in re.split(r"\n\s*\n|\n(?=[A-Z][A-Za-z ?'-]{3,}\?\s*$)", body,
                                         flags=re.M) if p.strip()]
    out, cur = [], []
    for para in paras:
        # keep line breaks (list items) as "\n" tokens so sentences can be split later
        words = [w for line in para.splitlines() for w in line.split() + ["\n"]][:-1]
        if cur and len(cur) + len(words) > max_words:
            out.append(" ".join(cur))
            cur = []
        cur += (["\n"] if cur else []) + words
        while len(cur) > max_words:
            out.append(" ".join(cur[:max_words]))
            cur = cur[max_words:]
    if cur:
        out.append(" ".join(cur))
    return [re.sub(r" ?\n ?", "\n", c).strip() for c in out]


# =========================================================================== toolbox


@dataclass
class ToolCall:
    """One executed tool call (what every framework's trace records)."""

    name: str
    input: dict
    status: str  # success | error
    output: Any
    ms: float
    ended: float = 0.0  # time.time() at the end, to order steps across sources


class Toolbox:
    """Tool specs + functions; `execute` validates input, times the call, catches errors."""

    def __init__(self, names: Iterable[str] | None = None,
                 functions: dict[str, Callable[..., dict]] | None = None,
                 specs: dict[str, dict] | None = None):
        specs = specs or TOOL_SPECS
        functions = functions or TOOL_FUNCTIONS
        names = list(names or specs)
        self.specs = {n: specs[n] for n in names}
        self.functions = {n: functions[n] for n in names}
        self.calls: list[ToolCall] = []

    def tool_config(self, choice: dict | None = None) -> dict:
        """Converse `toolConfig` for these tools (toolChoice: {"auto"|"any": {}} or
        {"tool": {"name": ...}})."""
        cfg: dict[str, Any] = {"tools": [{"toolSpec": s} for s in self.specs.values()]}
        if choice:
            cfg["toolChoice"] = choice
        return cfg

    def execute(self, name: str, tool_input: dict) -> ToolCall:
        """Run one tool call; never raises (errors become status 'error' with a message)."""
        start = time.perf_counter()
        status, output = "success", None
        try:
            if name not in self.functions:
                raise ToolError(f"Unknown tool {name!r}; the tools are "
                                f"{', '.join(self.functions)}.")
            schema = self.specs[name]["inputSchema"]["json"]
            errors = sorted(jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()).iter_errors(tool_input),
                key=str)
            if errors:
                raise ToolError(f"Invalid input for {name}: {errors[0].message}")
            output = self.functions[name](**tool_input)
        except ToolError as exc:
            status, output = "error", str(exc)
        except Exception as exc:  # a bug in a tool: report it, don't crash the agent
            status, output = "error", f"{type(exc).__name__}: {exc}"
        call = ToolCall(name, tool_input, status, output,
                        round((time.perf_counter() - start) * 1000, 2), time.time())
        self.calls.append(call)
        return call

    @staticmethod
    def result_block(tool_use_id: str, call: ToolCall) -> dict:
        """The Converse `toolResult` block for an executed call."""
        content = [{"json": call.output}] if isinstance(call.output, dict) else [
            {"text": str(call.output)}]
        return {"toolResult": {"toolUseId": tool_use_id, "content": content,
                               "status": call.status}}


# =========================================================================== runs and traces


@dataclass
class Step:
    """One step of an agent run: a model call or a tool call."""

    kind: str  # model | tool
    name: str
    detail: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    status: str = ""
    cost_usd: float = 0.0
    ended: float = 0.0


@dataclass
class AgentRun:
    """What an agent did for one question: steps, tool calls, answer, why it stopped."""

    framework: str
    question: str
    model_id: str
    answer: str = ""
    stopped: str = ""  # end_turn | max_steps | loop | error | ...
    steps: list[Step] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def model_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "model"]

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.model_steps)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.model_steps)

    @property
    def latency_ms(self) -> float:
        return round(sum(s.latency_ms for s in self.steps), 1)

    @property
    def cost_usd(self) -> float:
        return round(sum(s.cost_usd for s in self.model_steps), 8)

    def calls(self) -> list[tuple[str, dict]]:
        """(name, input) of every tool call, in order."""
        return [(c.name, c.input) for c in self.tool_calls]

    def trace(self, latency: bool = True) -> Table:
        """One row per step: kind, name, detail, tokens, (latency), cost."""
        rows = []
        for i, s in enumerate(self.steps, 1):
            row = {"step": i, "kind": s.kind, "name": s.name, "detail": short(s.detail, 90),
                   "status": s.status, "in tok": s.input_tokens or "", "out tok":
                   s.output_tokens or ""}
            if latency:
                row["ms"] = round(s.latency_ms, 1)
            row["cost $"] = s.cost_usd if s.kind == "model" else ""
            rows.append(row)
        return Table(rows, title=f"{self.framework}: {short(self.question, 70)}")

    def summary(self) -> dict:
        """One row for this run (tokens, cost, steps, stop reason)."""
        return {"framework": self.framework, "question": short(self.question, 60),
                "model calls": len(self.model_steps), "tool calls": len(self.tool_calls),
                "in tok": self.input_tokens, "out tok": self.output_tokens,
                "cost $": self.cost_usd, "stopped": self.stopped}


class LoopDetector:
    """Flags a tool call identical (name + input) to one already made in this run, and a
    tool called more than `max_per_tool` times whatever its input."""

    def __init__(self, max_repeats: int = 0, max_per_tool: int = 4):
        self.max_repeats = max_repeats
        self.max_per_tool = max_per_tool
        self.seen: dict[str, int] = {}
        self.per_tool: dict[str, int] = {}

    def check(self, name: str, tool_input: dict) -> str | None:
        """None if the call may run, else why it is a loop."""
        key = name + json.dumps(tool_input, sort_keys=True, default=str)
        self.seen[key] = self.seen.get(key, 0) + 1
        self.per_tool[name] = self.per_tool.get(name, 0) + 1
        if self.seen[key] > self.max_repeats + 1:
            return f"repeated call: {name} with the same input ({self.seen[key]} times)"
        if self.per_tool[name] > self.max_per_tool:
            return f"{name} called {self.per_tool[name]} times (limit {self.max_per_tool})"
        return None


def _text(message: dict) -> str:
    return "".join(b.get("text", "") for b in message.get("content", []))


def run_agent(client, model_id: str, question: str, toolbox: Toolbox, *,
              system: str = SYSTEM_PROMPT, max_steps: int = 6, tool_choice: dict | None = None,
              max_tokens: int = 700, loop: LoopDetector | None = None) -> AgentRun:
    """The agent loop in plain Python over Converse: call the model, run the tools it asks
    for, send the results back; stop at end_turn, after `max_steps` model calls, or when the
    loop detector trips twice (the first time the model gets an error result instead)."""
    run = AgentRun("converse loop", question, model_id)
    loop = loop or LoopDetector()
    messages: list[dict] = [{"role": "user", "content": [{"text": question}]}]
    strikes = 0
    for step in range(max_steps):
        start = time.perf_counter()
        resp = client.converse(
            modelId=model_id, messages=messages, system=[{"text": system}],
            toolConfig=toolbox.tool_config(tool_choice if step == 0 else None),
            inferenceConfig={"maxTokens": max_tokens, "temperature": 0})
        wall = (time.perf_counter() - start) * 1000
        message = resp["output"]["message"]
        messages.append(message)
        uses = [b["toolUse"] for b in message["content"] if "toolUse" in b]
        usage = resp["usage"]
        detail = ", ".join(f"{u['name']}({json.dumps(u['input'])})" for u in uses) or _text(
            message)
        run.steps.append(Step("model", model_id.split(".")[-1][:24], detail,
                              usage["inputTokens"], usage["outputTokens"],
                              round(wall, 1), resp["stopReason"],
                              cost_usd(model_id, usage["inputTokens"], usage["outputTokens"]),
                              time.time()))
        if resp["stopReason"] != "tool_use" or not uses:
            run.answer, run.stopped = _text(message), resp["stopReason"]
            return run
        results = []
        for use in uses:
            why = loop.check(use["name"], use["input"])
            if why:
                strikes += 1
                call = ToolCall(use["name"], use["input"], "error",
                                f"Loop detected ({why}). Use the results you already have.",
                                0.0, time.time())
                run.steps.append(Step("tool", use["name"], why, status="blocked"))
                if strikes >= 2:
                    run.answer, run.stopped = "", "loop"
                    return run
            else:
                call = toolbox.execute(use["name"], use["input"])
                run.tool_calls.append(call)
                run.steps.append(Step("tool", call.name, short(json.dumps(
                    call.output, default=str), 200), latency_ms=call.ms, status=call.status,
                    ended=call.ended))
            results.append(toolbox.result_block(use["toolUseId"], call))
        messages.append({"role": "user", "content": results})
    run.stopped = "max_steps"
    run.answer = _text(messages[-2]) if len(messages) > 1 else ""
    return run
