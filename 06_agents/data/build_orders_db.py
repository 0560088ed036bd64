"""Build orders.db (SQLite) from orders.json: the mock order system behind lab 06's tools.

    python 06_agents/data/build_orders_db.py            # writes 06_agents/data/orders.db

Three tables: customers, orders (with subtotal and total computed here) and order_items.
The database is small (22 orders) and shipped in the repo; rebuild it after editing the JSON.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMA = """
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    placed_on TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN
        ('processing', 'shipped', 'delivered', 'cancelled', 'returned')),
    shipping_method TEXT NOT NULL, carrier TEXT, tracking TEXT, shipped_on TEXT,
    delivered_on TEXT, subtotal REAL NOT NULL, shipping REAL NOT NULL, total REAL NOT NULL,
    currency TEXT NOT NULL);
CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders(order_id), line INTEGER NOT NULL, sku TEXT NOT NULL,
    product TEXT NOT NULL, qty INTEGER NOT NULL, unit_price REAL NOT NULL,
    PRIMARY KEY (order_id, line));
"""


def build(source: Path = HERE / "orders.json", target: Path = HERE / "orders.db") -> Path:
    """Write the SQLite database `target` from the JSON `source` (replacing it)."""
    data = json.loads(Path(source).read_text())
    target = Path(target)
    target.unlink(missing_ok=True)
    con = sqlite3.connect(target)
    try:
        con.executescript(SCHEMA)
        for c in data["customers"]:
            con.execute("INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
                        (c["customer_id"], c["name"], c["email"], c["country"], c["state"]))
        for o in data["orders"]:
            subtotal = round(sum(i["qty"] * i["unit_price"] for i in o["items"]), 2)
            total = round(subtotal + o["shipping"], 2)
            con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (o["order_id"], o["customer_id"], o["placed_on"], o["status"],
                         o["shipping_method"], o["carrier"], o["tracking"], o["shipped_on"],
                         o["delivered_on"], subtotal, o["shipping"], total, o["currency"]))
            for line, i in enumerate(o["items"], 1):
                con.execute("INSERT INTO order_items VALUES (?, ?, ?, ?, ?, ?)",
                            (o["order_id"], line, i["sku"], i["product"], i["qty"],
                             i["unit_price"]))
        con.commit()
    finally:
        con.close()
    return target


if __name__ == "__main__":
    out = build(*map(Path, sys.argv[1:3]))
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")
