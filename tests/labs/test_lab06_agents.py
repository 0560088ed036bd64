"""Lab 06 helpers: the tools, the toolbox's validation, the plain Converse agent loop (step
limit, loop detection), the LangChain/LangGraph and Strands adapters and the evaluation."""

from __future__ import annotations

import json

import boto3
import pytest

import utils
from utils import agents

MODEL = utils.models.TEXT_MODEL


@pytest.fixture(scope="module")
def ws():
    w = utils.setup("offline", region="us-east-1", quiet=True)
    yield w
    utils.teardown()


@pytest.fixture
def client(ws):
    return boto3.client("bedrock-runtime")


# --------------------------------------------------------------------------- tools


@pytest.mark.parametrize("expr, result", [("(649 - 49) * 0.9", 540), ("2 ** 10", 1024),
                                          ("1,899 * 0.7", 1329.3), ("-3 + 10 / 4", -0.5)])
def test_calculator(expr, result):
    assert agents.calculator(expr)["result"] == pytest.approx(result)


@pytest.mark.parametrize("expr", ["__import__('os')", "open('x')", "1 / 0", "9 ** 999", "a + 1"])
def test_calculator_refuses_anything_but_arithmetic(expr):
    with pytest.raises(agents.ToolError):
        agents.calculator(expr)


def test_toolbox_validates_input_and_reports_errors():
    box = agents.Toolbox()
    bad = box.execute("lookup_order", {"order_id": "20417"})
    assert bad.status == "error" and "does not match" in bad.output
    missing = box.execute("lookup_order", {"order_id": "ORD-00000"})
    assert missing.status == "error" and "not found" in missing.output
    unknown = box.execute("delete_everything", {})
    assert unknown.status == "error" and "Unknown tool" in unknown.output
    ok = box.execute("convert_currency", {"amount": 100, "from_currency": "USD",
                                          "to_currency": "EUR"})
    assert ok.status == "success" and ok.output["converted"] == 92.0
    block = agents.Toolbox.result_block("t1", missing)["toolResult"]
    assert block["status"] == "error" and block["content"] == [{"text": missing.output}]


def test_loop_detector():
    det = agents.LoopDetector(max_per_tool=3)
    assert det.check("lookup_order", {"order_id": "ORD-20417"}) is None
    assert "repeated" in det.check("lookup_order", {"order_id": "ORD-20417"})
    det = agents.LoopDetector(max_per_tool=2)
    assert det.check("calculator", {"expression": "1+1"}) is None
    assert det.check("calculator", {"expression": "1+2"}) is None
    assert "limit 2" in det.check("calculator", {"expression": "1+3"})


def test_knowledge_tool_uses_the_retrieve_api_offline(ws):
    assert isinstance(agents.retriever(), agents.BedrockKnowledgeBase)
    hits = agents.search_knowledge_base("How long is the return window?", 3)["results"]
    assert len(hits) == 3 and hits[0]["doc_id"] == "policy-returns"


def test_local_index_fallback_finds_the_same_document():
    index = agents.LocalIndex.from_corpus()
    assert index.search("How long is the return window?", 1)[0]["doc_id"] == "policy-returns"


# --------------------------------------------------------------------------- agent loop


def test_agent_loop_runs_tools_and_answers(client):
    box = agents.Toolbox()
    run = agents.run_agent(client, MODEL, "Look up order ORD-20408 and convert its total to "
                           "US dollars.", box)
    assert run.stopped == "end_turn"
    assert [c.name for c in run.tool_calls] == ["lookup_order", "convert_currency"]
    assert "776.64" in run.answer
    assert [s.kind for s in run.steps] == ["model", "tool", "model", "tool", "model"]
    assert run.input_tokens > 0 and run.cost_usd > 0
    assert len(run.trace()) == 5 and "ms" not in run.trace(latency=False).columns


def test_agent_loop_stops_at_the_step_limit(client):
    run = agents.run_agent(client, MODEL, "Look up order ORD-20408 and convert its total to "
                           "US dollars.", agents.Toolbox(), max_steps=1)
    assert run.stopped == "max_steps" and len(run.model_steps) == 1


class RepeatingClient:
    """A stub bedrock-runtime client (not the engine): always asks for the same tool call,
    as a looping model would."""

    def converse(self, **kw):
        return {"output": {"message": {"role": "assistant", "content": [{"toolUse": {
            "toolUseId": f"t{len(kw['messages'])}", "name": "lookup_order",
            "input": {"order_id": "ORD-20417"}}}]}},
            "stopReason": "tool_use", "usage": {"inputTokens": 10, "outputTokens": 5}}


def test_agent_loop_detects_a_loop():
    run = agents.run_agent(RepeatingClient(), MODEL, "Where is ORD-20417?", agents.Toolbox(),
                           max_steps=10)
    assert run.stopped == "loop"
    assert len(run.tool_calls) == 1  # the repeats were blocked, not executed
    assert [s.status for s in run.steps if s.kind == "tool"] == ["success", "blocked",
                                                                  "blocked"]


# --------------------------------------------------------------------------- frameworks


def test_langgraph_agent_with_the_same_tools(client):
    from langchain.agents import create_agent
    from langchain_aws import ChatBedrockConverse

    box = agents.Toolbox()
    llm = ChatBedrockConverse(model=MODEL, client=client, temperature=0)
    bound = llm.bind_tools(agents.langchain_tools(box))
    msg = bound.invoke("What is the status of order ORD-20417?")
    assert [c["name"] for c in msg.tool_calls] == ["lookup_order"]
    agent = create_agent(llm, agents.langchain_tools(box), system_prompt=agents.SYSTEM_PROMPT)
    run = agents.run_langgraph(agent, "What is the status of order ORD-99999?", box, MODEL)
    assert run.stopped == "end_turn" and "not found" in run.answer
    assert [(c.name, c.status) for c in run.tool_calls] == [("lookup_order", "error")]
    assert [s.kind for s in run.steps] == ["model", "tool", "model"]
    assert run.steps[0].detail == "asks for lookup_order"


def test_strands_agent_with_the_same_tools(ws):
    from strands import Agent
    from strands.models import BedrockModel

    box = agents.Toolbox()
    guard = agents.StrandsLoopGuard()
    model = BedrockModel(model_id=MODEL, temperature=0)

    def make():
        return Agent(model=model, tools=agents.strands_tools(box), callback_handler=None,
                     system_prompt=agents.SYSTEM_PROMPT, hooks=[guard])

    run = agents.run_strands(make, "Where is ORD-20417, and also what is 3 times 129?", box,
                             MODEL)
    assert run.stopped == "end_turn"
    assert sorted(c.name for c in run.tool_calls) == ["calculator", "lookup_order"]
    assert "387" in run.answer and "shipped" in run.answer
    assert len(run.model_steps) == 2 and run.output_tokens > 0
    assert guard.blocked == []


def test_evaluation_scores_calls_and_answers():
    task = {"id": "x", "category": "order", "question": "q", "answer_contains": ["shipped"],
            "expected_calls": [{"name": "lookup_order", "input": {"order_id": "ORD-20417"}}]}
    run = agents.AgentRun("stub", "q", MODEL, answer="It has SHIPPED.", stopped="end_turn")
    run.tool_calls = [agents.ToolCall("lookup_order", {"order_id": "ord-20417"}, "success",
                                      {}, 1.0)]
    row = agents.score_run(task, run)
    assert row["success"] and row["call accuracy"] == 1.0
    run.tool_calls.append(agents.ToolCall("calculator", {"expression": "1"}, "success", {}, 1))
    row = agents.score_run(task, run)
    assert row["call accuracy"] == 0.5 and not row["right tools"]
    calc = {**task, "answer_contains": [], "expected_calls": [
        {"name": "calculator", "input": {"expression": "0.15 * 1899"}}]}
    run.tool_calls = [agents.ToolCall("calculator", {"expression": "15 / 100 * 1899"},
                                      "success", {}, 1)]
    assert agents.score_run(calc, run)["call accuracy"] == 1.0  # same value, other spelling
    summary = agents.summarise([row, {**row, "success": False}])
    assert summary[0]["success rate"] == 0.5
    assert json.dumps(summary)
