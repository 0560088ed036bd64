"""Lab 06 agent helpers: the shared tools, a plain-Python agent loop, traces, evaluation.

The tools are ordinary Python functions with Converse tool specs (JSON schemas):

- `calculator`            safe arithmetic (an AST walk, never `eval`)
- `lookup_order`          one order from the mock order system (SQLite, 06_agents/data/orders.db)
- `list_customer_orders`  a customer's orders by email, optionally by status
- `convert_currency`      fixed workshop reference rates (not live rates)
- `search_knowledge_base` retrieval over lab 03's knowledge base (see `retriever()`)
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
    """The best passages for a query: Bedrock Knowledge Bases' Retrieve on lab 03's knowledge
    base (found by name), else the local index (see `retriever()`)."""
    return {"results": retriever().search(query, k=max_results)}


TOOL_FUNCTIONS: dict[str, Callable[..., dict]] = {
    "calculator": calculator, "lookup_order": lookup_order,
    "list_customer_orders": list_customer_orders, "convert_currency": convert_currency,
    "search_knowledge_base": search_knowledge_base, "open_support_ticket": open_support_ticket,
}


# =========================================================================== knowledge base

KB_NAME = "kestrel-workshop-kb"  # the knowledge base lab 03 creates (built into the engine)


class BedrockKnowledgeBase:
    """Retrieval through bedrock-agent-runtime Retrieve (the managed RAG of lab 03)."""

    kind = "Bedrock Knowledge Base (Retrieve API)"

    def __init__(self, kb_id: str, client=None):
        import boto3

        self.kb_id = kb_id
        self.client = client or boto3.client("bedrock-agent-runtime")

    def search(self, query: str, k: int = 3) -> list[dict]:
        resp = self.client.retrieve(
            knowledgeBaseId=self.kb_id, retrievalQuery={"text": query},
            retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": k}})
        out = []
        for r in resp["retrievalResults"]:
            loc = r.get("location") or {}
            uri = ((loc.get("s3Location") or {}).get("uri")
                   or (r.get("metadata") or {}).get("x-amz-bedrock-kb-source-uri", ""))
            out.append({"doc_id": Path(str(uri)).stem or "unknown",
                        "text": r["content"].get("text", ""),
                        "score": round(float(r.get("score", 0.0)), 3)})
        return out


def find_knowledge_base(name: str = KB_NAME) -> str | None:
    """The id of the knowledge base called `name` (bedrock-agent ListKnowledgeBases), or None."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        pages = boto3.client("bedrock-agent").get_paginator("list_knowledge_bases").paginate()
        for page in pages:
            for kb in page["knowledgeBaseSummaries"]:
                if kb["name"] == name and kb.get("status") == "ACTIVE":
                    return kb["knowledgeBaseId"]
    except (BotoCoreError, ClientError):
        return None
    return None


class LocalIndex:
    """Fallback when no Bedrock knowledge base exists (live mode before lab 03): lab 03's
    corpus chunked by section and embedded in this process with the engine's local embeddings
    (WordLlama). Score = 0.7 x cosine + 0.3 x BM25 normalised to the best hit."""

    kind = "local index (no Bedrock knowledge base found)"

    def __init__(self, chunks: list[dict]):
        from rank_bm25 import BM25Okapi

        from local_bedrock.text import embeddings

        self.chunks = chunks
        self.vectors = embeddings.embed([f"{c['title']}: {c['text']}" for c in chunks])
        self.bm25 = BM25Okapi([_tokens(c["title"] + " " + c["text"]) for c in chunks])

    @classmethod
    def from_corpus(cls, corpus: Path = CORPUS_DIR, max_words: int = 160) -> "LocalIndex":
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
        return [{"doc_id": self.chunks[i]["doc_id"], "title": self.chunks[i]["title"],
                 "text": self.chunks[i]["text"], "score": round(float(score[i]), 3)}
                for i in order]


_retrievers: dict[tuple, Any] = {}
_retriever_lock = threading.Lock()


def retriever():
    """The knowledge tool's backend for the current workshop session: lab 03's Bedrock
    knowledge base when ListKnowledgeBases finds it (offline: the engine's built-in one),
    else the local index. Chosen once per `utils.setup()`."""
    from utils.setup import current

    ws = current()
    key = (id(ws), getattr(ws, "mode", None), getattr(ws, "endpoint_url", None))
    with _retriever_lock:
        if key not in _retrievers:
            kb_id = find_knowledge_base()
            _retrievers[key] = BedrockKnowledgeBase(kb_id) if kb_id else _local_index()
        return _retrievers[key]


@lru_cache(maxsize=1)
def _local_index() -> LocalIndex:
    return LocalIndex.from_corpus()


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
    run.stopped = "max_steps"  # no final answer: the caller decides what to tell the user
    return run


# =========================================================================== other frameworks


def langchain_tools(toolbox: Toolbox) -> list:
    """The toolbox as LangChain tools (same names, descriptions and JSON schemas). A failing
    call raises ToolException, which LangChain turns into a ToolMessage with status 'error'
    (sent to Bedrock as a toolResult with status 'error')."""
    from langchain_core.tools import StructuredTool, ToolException

    def make(name: str):
        def run(**kwargs) -> str:
            call = toolbox.execute(name, kwargs)
            if call.status == "error":
                raise ToolException(str(call.output))
            return json.dumps(call.output, default=str)
        return run

    return [StructuredTool.from_function(
        func=make(name), name=name, description=spec["description"],
        args_schema=spec["inputSchema"]["json"], handle_tool_error=True)
        for name, spec in toolbox.specs.items()]


def strands_tools(toolbox: Toolbox) -> list:
    """The toolbox as Strands tools (PythonAgentTool: the same specs, results as toolResult)."""
    from strands.tools.tools import PythonAgentTool

    def make(name: str):
        def run(tool_use: dict, **_: Any) -> dict:
            call = toolbox.execute(name, tool_use.get("input") or {})
            return Toolbox.result_block(tool_use["toolUseId"], call)["toolResult"]
        return run

    return [PythonAgentTool(name, spec, make(name)) for name, spec in toolbox.specs.items()]


class StrandsLoopGuard:
    """A Strands hook provider: cancels a tool call the LoopDetector flags (the model gets an
    error result instead), so the agent cannot repeat the same call forever."""

    def __init__(self, detector_factory: Callable[[], LoopDetector] = LoopDetector):
        self.factory = detector_factory
        self.detector = detector_factory()
        self.blocked: list[str] = []

    def register_hooks(self, registry, **_: Any) -> None:
        from strands.hooks import BeforeInvocationEvent, BeforeToolCallEvent

        registry.add_callback(BeforeInvocationEvent, self._reset)
        registry.add_callback(BeforeToolCallEvent, self._check)

    def _reset(self, event) -> None:
        self.detector = self.factory()

    def _check(self, event) -> None:
        why = self.detector.check(event.tool_use["name"], event.tool_use.get("input") or {})
        if why:
            self.blocked.append(why)
            event.cancel_tool = f"Loop detected ({why}). Use the results you already have."


class LogWindow:
    """Model calls any framework makes, read from the workshop's invocation log (the same
    records CloudWatch invocation logging would hold), plus the toolbox's tool calls."""

    def __init__(self, toolbox: Toolbox):
        from utils.setup import current

        ws = current()
        self.logger = ws.logger if ws is not None else None
        self.toolbox = toolbox
        self.start_record = len(self.logger.records) if self.logger else 0
        self.start_call = len(toolbox.calls)

    def run(self, framework: str, question: str, model_id: str, answer: str,
            stopped: str) -> AgentRun:
        run = AgentRun(framework, question, model_id, answer=answer, stopped=stopped)
        records = self.logger.records[self.start_record:] if self.logger else []
        steps: list[Step] = []
        for r in records:
            if r.get("operation") not in ("Converse", "ConverseStream"):
                continue
            body = (r.get("output") or {}).get("outputBodyJson") or {}
            stop = (body.get("stopReason") if isinstance(body, dict) else None) or (
                "error" if r.get("error") else "")
            text = ""
            if isinstance(body, dict):
                text = "".join(b.get("text", "") for b in ((body.get("output") or {}).get(
                    "message") or {}).get("content", []) if isinstance(b, dict))
            tin = r["input"].get("inputTokenCount", 0)
            tout = r["output"].get("outputTokenCount", 0)
            ended = dt_epoch(r["timestamp"])
            steps.append(Step("model", r["modelId"].split(".")[-1][:24], text, tin, tout,
                              r.get("latencyMs", 0.0), stop, cost_usd(r["modelId"], tin, tout),
                              ended))
        calls = {}
        for call in self.toolbox.calls[self.start_call:]:
            step = Step("tool", call.name, short(json.dumps(call.output, default=str), 200),
                        latency_ms=call.ms, status=call.status, ended=call.ended)
            calls[id(step)] = call
            steps.append(step)
        steps.sort(key=lambda s: (s.ended, s.kind != "model"))
        # tools of one turn may run concurrently (Strands does): order them by name and input
        # so the trace does not depend on which finished first
        ordered: list[Step] = []
        batch: list[Step] = []
        key = lambda s: (s.name, json.dumps(calls[id(s)].input, sort_keys=True))  # noqa: E731
        for s in steps + [None]:
            if s is None or s.kind == "model":
                ordered += sorted(batch, key=key)
                batch = []
                if s is not None:
                    ordered.append(s)
            else:
                batch.append(s)
        steps = ordered
        run.tool_calls = [calls[id(s)] for s in steps if s.kind == "tool"]
        for i, s in enumerate(steps):  # a tool_use step's detail: the calls it asked for
            if s.kind == "model" and s.status == "tool_use":
                names = []
                for nxt in steps[i + 1:]:
                    if nxt.kind == "model":
                        break
                    names.append(nxt.name)
                s.detail = "asks for " + ", ".join(names) if names else s.detail
        run.steps = steps
        return run


def dt_epoch(timestamp: str) -> float:
    """Epoch seconds of an ISO timestamp like 2024-01-01T00:00:00.000Z."""
    import datetime

    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def message_text(message: Any) -> str:
    """The text of a LangChain message or a Converse/Strands message dict."""
    if isinstance(message, dict):
        return _text(message)
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


def run_langgraph(agent, question: str, toolbox: Toolbox, model_id: str,
                  recursion_limit: int = 13, framework: str = "langgraph") -> AgentRun:
    """Invoke a LangGraph agent (create_agent / create_react_agent) on one question and
    build its run from the invocation log. recursion_limit bounds the graph's steps
    (2 per model-plus-tools round, +1)."""
    from langgraph.errors import GraphRecursionError

    window = LogWindow(toolbox)
    try:
        out = agent.invoke({"messages": [{"role": "user", "content": question}]},
                           config={"recursion_limit": recursion_limit})
        answer, stopped = message_text(out["messages"][-1]), "end_turn"
    except GraphRecursionError:
        answer, stopped = "", "max_steps"
    return window.run(framework, question, model_id, answer, stopped)


def run_strands(make_agent: Callable[[], Any], question: str, toolbox: Toolbox,
                model_id: str, framework: str = "strands") -> AgentRun:
    """Run a fresh Strands agent on one question; build its run from the invocation log."""
    window = LogWindow(toolbox)
    agent = make_agent()
    result = agent(question)
    return window.run(framework, question, model_id, message_text(result.message),
                      str(result.stop_reason))


# =========================================================================== evaluation


def load_tasks(path: Path = TASKS_FILE) -> list[dict]:
    """The lab's task set: question, expected tool calls, strings the answer must contain."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _norm(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", str(text)).lower()


def _same_value(key: str, expected: Any, actual: Any) -> bool:
    if key == "expression":  # compare what the expressions compute, not how they are written
        try:
            return abs(calculator(str(expected))["result"] - calculator(str(actual))["result"]) < 1e-6
        except ToolError:
            return False
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            _same_value(k, v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(actual, (int, float)) and abs(expected - actual) < 0.01
    return _norm(expected).strip() == _norm(actual).strip()


def match_calls(expected: list[dict], actual: list[tuple[str, dict]]) -> int:
    """How many expected calls an actual call matches (same name, the expected input keys
    equal; each actual call used once)."""
    left = list(actual)
    hits = 0
    for exp in expected:
        for i, (name, given) in enumerate(left):
            if name == exp["name"] and _same_value("", exp.get("input", {}), given):
                hits += 1
                left.pop(i)
                break
    return hits


def score_run(task: dict, run: AgentRun) -> dict:
    """One evaluation row: tool-call accuracy, answer check, success, tokens, cost."""
    expected, actual = task["expected_calls"], run.calls()
    hits = match_calls(expected, actual)
    denom = max(len(expected), len(actual))
    accuracy = hits / denom if denom else 1.0
    answer = _norm(run.answer)
    answer_ok = all(any(_norm(alt) in answer for alt in (want if isinstance(want, list)
                                                         else [want]))
                    for want in task["answer_contains"])
    completed = run.stopped in ("end_turn", "stop_sequence")
    right_tools = sorted(n for n, _ in actual) == sorted(c["name"] for c in expected)
    return {"task": task["id"], "category": task["category"], "framework": run.framework,
            "tool calls": len(actual), "right tools": right_tools,
            "call accuracy": round(accuracy, 3), "answer ok": answer_ok,
            "success": completed and answer_ok and hits == len(expected) and (
                bool(expected) or not actual),
            "model calls": len(run.model_steps), "in tok": run.input_tokens,
            "out tok": run.output_tokens, "cost $": run.cost_usd, "stopped": run.stopped}


def evaluate(runner: Callable[[str], AgentRun], tasks: list[dict], label: str = "") -> list[dict]:
    """Run every task through `runner(question) -> AgentRun` and score it (tqdm progress)."""
    from tqdm.auto import tqdm

    rows = []
    for task in tqdm(tasks, desc=label or "tasks", leave=False):
        rows.append(score_run(task, runner(task["question"])))
    return rows


def summarise(rows: list[dict], by: str = "framework") -> list[dict]:
    """Per framework (or category): success rate, tool-call accuracy, tokens and cost."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[by], []).append(r)
    out = []
    for key, rs in groups.items():
        n = len(rs)
        out.append({by: key, "tasks": n,
                    "success rate": round(sum(r["success"] for r in rs) / n, 3),
                    "tool-call accuracy": round(sum(r["call accuracy"] for r in rs) / n, 3),
                    "right tools": round(sum(r["right tools"] for r in rs) / n, 3),
                    "model calls/task": round(sum(r["model calls"] for r in rs) / n, 2),
                    "tokens/task": round(sum(r["in tok"] + r["out tok"] for r in rs) / n),
                    "cost $/task": round(sum(r["cost $"] for r in rs) / n, 7)})
    return out


def plot_evaluation(summary_rows: list[dict], by: str = "framework"):
    """Bars: success rate and tool-call accuracy per framework; tokens per task beside."""
    import matplotlib.pyplot as plt

    names = [r[by] for r in summary_rows]
    x = range(len(names))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
    w = 0.38
    ax1.bar([i - w / 2 for i in x], [r["success rate"] for r in summary_rows], w,
            label="task success rate")
    ax1.bar([i + w / 2 for i in x], [r["tool-call accuracy"] for r in summary_rows], w,
            label="tool-call accuracy")
    ax1.set_ylim(0, 1.05)
    ax1.set_title("Quality per framework")
    ax1.legend(fontsize=8, loc="lower right")
    ax2.bar(list(x), [r["tokens/task"] for r in summary_rows], color="#72b7b2")
    ax2.set_title("Tokens per task (input + output)")
    for ax in (ax1, ax2):
        ax.set_xticks(list(x))
        ax.set_xticklabels(names)
    fig.tight_layout()
    return fig
