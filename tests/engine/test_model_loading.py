"""The local embedding model loads once, safely, when many threads ask for it at the same time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter: 16 threads count tokens (tokenizer) and embed at once, as the engine
# does under ThreadPoolExecutor callers; then report the root logger's state and the load count.
SCRIPT = """
import logging, threading
from local_bedrock.text import embeddings, tokens
loads = []
real_load = embeddings._load
embeddings._load = lambda: loads.append(1) or real_load()
start = threading.Barrier(16)
def work(i):
    start.wait()
    (tokens.count_tokens if i % 2 else lambda t: embeddings.embed([t]))("a few words to encode")
threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
root = logging.getLogger()
print(len(loads), len(root.handlers), logging.getLevelName(root.level))
"""


def test_concurrent_first_use_loads_once_and_leaves_logging_alone():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    loads, handlers, level = out.stdout.split()
    assert loads == "1"  # one WordLlama load, however many threads asked
    assert (handlers, level) == ("0", "WARNING")  # wordllama's basicConfig(INFO) undone
    assert "INFO" not in out.stderr
