"""WORKSHOP_LOCAL_LLM_URL: the engine forwards generation to an OpenAI-compatible server.

The server here is a stub on 127.0.0.1 that answers canned completions (it says so) and
records what it was sent, so the translation both ways can be checked.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


class _StubOpenAI(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _StubOpenAI.received.append({"path": self.path, "body": body})
        answer = {"choices": [{"message": {"role": "assistant", "content": "stub completion"},
                               "finish_reason": "length"}],
                  "usage": {"prompt_tokens": 11, "completion_tokens": 2}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_llm(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _StubOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("WORKSHOP_LOCAL_LLM_URL", f"http://127.0.0.1:{server.server_port}/v1")
    _StubOpenAI.received.clear()
    yield _StubOpenAI.received
    server.shutdown()


def test_converse_is_translated_to_chat_completions_and_back(runtime, stub_llm):
    resp = runtime.converse(
        modelId="amazon.nova-lite-v1:0", system=[{"text": "Be brief."}],
        messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        inferenceConfig={"maxTokens": 5, "temperature": 0.2, "stopSequences": ["END"]})
    sent = stub_llm[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["messages"] == [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Hi"}]
    assert sent["body"]["max_tokens"] == 5 and sent["body"]["stop"] == ["END"]
    assert resp["output"]["message"]["content"][0]["text"] == "stub completion"
    assert resp["stopReason"] == "max_tokens"
    assert resp["usage"] == {"inputTokens": 11, "outputTokens": 2, "totalTokens": 13}


def test_unreachable_server_is_a_clear_error(runtime, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LOCAL_LLM_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(runtime.exceptions.ModelNotReadyException, match="did not answer"):
        runtime.converse(modelId="amazon.nova-lite-v1:0",
                         messages=[{"role": "user", "content": [{"text": "Hi"}]}])
