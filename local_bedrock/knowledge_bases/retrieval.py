"""Retrieve and RetrieveAndGenerate over the engine's knowledge bases.

Retrieve embeds the query with the knowledge base's embedding settings, searches the faiss
index (semantic; hybrid with BM25 where the vector store type supports it in Bedrock), applies
metadata filters and returns chunks in Bedrock's result shape.

RetrieveAndGenerate retrieves, then asks the local responder to answer from the passages (it
quotes them: extractive, honest), and attributes each sentence of the answer to the passage
it came from, as Bedrock's `citations`. A `sessionId` keeps the conversation: a follow-up that
leans on the previous turn ("how long does *it* last?") is searched together with the previous
question that stood on its own (a rule, not a model's rewrite).
"""

from __future__ import annotations

import re
import uuid

from local_bedrock.errors import EngineError, validation
from local_bedrock.knowledge_bases import models
from local_bedrock.knowledge_bases.index import Hit, tokenize
from local_bedrock.text.responder import MARKER, sentences

DEFAULT_RESULTS = 5
_ANAPHORA = {"it", "its", "they", "them", "their", "that", "this", "those", "these", "there",
             "he", "she", "his", "her", "one", "ones", "same", "else", "also", "instead"}
DEFAULT_PROMPT = (
    "You are a question answering agent. I will provide you with a set of search results. "
    "The user will provide you with a question. Your job is to answer the user's question "
    "using only information from the search results. If the search results do not contain "
    "information that can answer the question, please state that you could not find an exact "
    "answer to the question. Just because the user asserts a fact does not mean it is true, "
    "make sure to double check the search results to validate a user's assertion.\n\n"
    "Here are the search results in numbered order:\n$search_results$\n\n"
    "$output_format_instructions$")
_UNSERVED = {
    "rerankingConfiguration": "reranking",
    "implicitFilterConfiguration": "implicit (model-generated) metadata filters",
}


def _not_served(what: str) -> EngineError:
    return EngineError("NotImplementedException",
                       f"The local engine does not implement {what} for knowledge bases; remove "
                       "it or run this in live mode.", 501)


# ----------------------------------------------------------------------------- filters


def _number(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def matches(flt: dict, meta: dict) -> bool:
    """Evaluate a Bedrock RetrievalFilter against one chunk's metadata."""
    if not flt:
        return True
    ((op, arg),) = flt.items()
    if op == "andAll":
        return all(matches(f, meta) for f in arg)
    if op == "orAll":
        return any(matches(f, meta) for f in arg)
    key, value = arg["key"], arg["value"]
    have = meta.get(key)
    if op == "equals":
        return have == value or (_number(have) is not None and _number(have) == _number(value))
    if op == "notEquals":
        return not matches({"equals": arg}, meta)
    if op in ("greaterThan", "greaterThanOrEquals", "lessThan", "lessThanOrEquals"):
        a, b = _number(have), _number(value)
        if a is None or b is None:
            return False
        return {"greaterThan": a > b, "greaterThanOrEquals": a >= b,
                "lessThan": a < b, "lessThanOrEquals": a <= b}[op]
    if op == "in":
        return isinstance(value, list) and have in value
    if op == "notIn":
        return isinstance(value, list) and have not in value
    if op == "startsWith":
        return isinstance(have, str) and isinstance(value, str) and have.startswith(value)
    if op == "stringContains":
        if isinstance(have, list):
            return any(isinstance(h, str) and str(value) in h for h in have)
        return isinstance(have, str) and str(value) in have
    if op == "listContains":
        return isinstance(have, list) and value in have
    raise validation(f"Unknown filter operator {op}.")


# ----------------------------------------------------------------------------- retrieval


def _search_config(retrieval_cfg: dict | None) -> dict:
    cfg = retrieval_cfg or {}
    if cfg.get("managedSearchConfiguration"):
        raise _not_served("managedSearchConfiguration")
    vec = cfg.get("vectorSearchConfiguration") or {}
    for key, what in _UNSERVED.items():
        if vec.get(key):
            raise _not_served(what)
    n = vec.get("numberOfResults", DEFAULT_RESULTS)
    if not 1 <= n <= 100:
        raise validation("numberOfResults must be between 1 and 100.")
    return vec


def search(kb: models.KnowledgeBase, query: str, vec: dict) -> list[Hit]:
    """The top chunks for a query under a vectorSearchConfiguration."""
    k = vec.get("numberOfResults", DEFAULT_RESULTS)
    mode = vec.get("overrideSearchType", "SEMANTIC")
    if mode == "HYBRID" and kb.store_type not in models._HYBRID_STORES:
        raise validation(f"HYBRID search is not supported for the {kb.store_type} vector store "
                         "of this knowledge base; only SEMANTIC search is available.")
    index = kb.index
    flt = vec.get("filter")
    depth = len(index) if flt else k
    hits = index.hybrid(query, depth) if mode == "HYBRID" else index.semantic(query, depth)
    if flt:
        hits = [h for h in hits if matches(flt, h.item.metadata)]
    return hits[:k]


def result_of(hit: Hit, with_score: bool = True) -> dict:
    """One chunk in Bedrock's KnowledgeBaseRetrievalResult / RetrievedReference shape."""
    meta = hit.item.metadata
    out = {"content": {"text": hit.item.text, "type": "TEXT"},
           "location": {"type": "S3", "s3Location": {"uri": meta["x-amz-bedrock-kb-source-uri"]}},
           "metadata": dict(meta)}
    if with_score:
        out["score"] = round(float(hit.score), 6)
    return out


def retrieve(st: models.Store, params: dict) -> dict:
    query = params.get("retrievalQuery") or {}
    if query.get("type", "TEXT") != "TEXT" or not (query.get("text") or "").strip():
        raise validation("retrievalQuery.text is required (the local engine searches text).")
    if params.get("guardrailConfiguration"):
        raise _not_served("guardrails on Retrieve")
    vec = _search_config(params.get("retrievalConfiguration"))
    kb = st.searchable(params["knowledgeBaseId"])
    hits = search(kb, query["text"], vec)
    return {"retrievalResults": [result_of(h) for h in hits]}


# ---------------------------------------------------------------------- generation


def condense(history: list[dict], question: str) -> str:
    """The search query for a follow-up: when it leans on the conversation (a pronoun, or under
    3 content words), the last question that stood on its own is put in front of it."""
    if not history:
        return question
    words = set(re.findall(r"[a-z]+", question.lower()))
    if words & _ANAPHORA or len(tokenize(question)) < 3:
        anchor = next((h["question"] for h in reversed(history) if h["query"] == h["question"]),
                      history[-1]["question"])
        return f"{anchor} {question}"
    return question


def _render_results(hits: list[Hit]) -> str:
    return "\n".join(f'<search_result id="{i}">{h.item.text}</search_result>'
                     for i, h in enumerate(hits, 1))


def _prompt(template: str, hits: list[Hit], question: str) -> str:
    text = (template.replace("$search_results$", _render_results(hits))
            .replace("$output_format_instructions$", "")
            .replace("$query$", question))
    if "$search_results$" not in template:
        text = _render_results(hits) + "\n\n" + text
    return f"{text.strip()}\n\n{question}"


def _norm(text: str) -> str:
    return " ".join(text.split())


def citations(answer: str, hits: list[Hit]) -> list[dict]:
    """Attribute each sentence of an answer to the passage that contains (or best supports) it."""
    if not hits or "not in the documents" in answer:
        return []
    body_start = answer.find(": ", answer.find(MARKER)) + 2 if answer.startswith(MARKER) else 0
    passages = [_norm(h.item.text) for h in hits]
    parts: list[tuple[int, int, int]] = []  # (start, end, passage index)
    pos = body_start
    for sent in sentences(answer[body_start:]):
        start = answer.find(sent, pos)
        if start < 0:
            continue
        end = start + len(sent)
        pos = end
        norm = _norm(sent)
        owner = next((i for i, p in enumerate(passages) if norm in p), None)
        if owner is None:
            words = set(tokenize(sent))
            overlap = [len(words & set(tokenize(p))) / (len(words) or 1) for p in passages]
            best = max(range(len(passages)), key=lambda i: overlap[i])
            if overlap[best] < 0.5:
                continue
            owner = best
        if parts and parts[-1][2] == owner:
            parts[-1] = (parts[-1][0], end, owner)
        else:
            parts.append((start, end, owner))
    return [{"generatedResponsePart": {"textResponsePart": {
                "text": answer[s:e], "span": {"start": s, "end": e - 1}}},
             "retrievedReferences": [result_of(hits[i], with_score=False)]}
            for s, e, i in parts]


def _generate(engine, req, hits: list[Hit], question: str):
    """The generation step: the responder's extractive answer over the retrieved passages.

    The responder's general entry point also guesses at classification and JSON prompts, which
    passages full of lists can set off; a knowledge base answer is always a question over
    documents, so the extractive path is used directly. With WORKSHOP_LOCAL_LLM_URL set, the
    prompt goes to that local model instead, like Converse.
    """
    import os
    import time

    from local_bedrock.runtime.converse import generate
    from local_bedrock.text import responder

    if os.environ.get("WORKSHOP_LOCAL_LLM_URL"):
        return generate(engine, req)
    input_tokens = responder.count_request_tokens(req)
    engine.faults.admit(req.model_id, input_tokens + req.max_tokens)
    start = time.perf_counter()
    engine.faults.first_byte_delay()
    context = "\n\n".join(h.item.text for h in hits)
    text = (responder.answer_from_documents(context, question) if hits else
            f"{MARKER} The knowledge base returned no passages, so there is nothing to answer "
            "from (not in the documents).")
    result = responder.finish(req, text, input_tokens)
    result.latency_ms = int((time.perf_counter() - start) * 1000)
    return result


def retrieve_and_generate(engine, st: models.Store, params: dict) -> dict:
    from local_bedrock.runtime import models as runtime_models
    from local_bedrock.text.types import GenerationRequest, Turn

    config = params.get("retrieveAndGenerateConfiguration") or {}
    if config.get("type") != "KNOWLEDGE_BASE":
        raise _not_served(f"RetrieveAndGenerate of type {config.get('type')}")
    kbc = config.get("knowledgeBaseConfiguration") or {}
    if (kbc.get("orchestrationConfiguration") or {}).get("queryTransformationConfiguration"):
        raise _not_served("query decomposition")
    question = (params.get("input") or {}).get("text", "")
    if not question.strip():
        raise validation("input.text must not be empty.")
    session_id = params.get("sessionId")
    with st.lock:
        if session_id is not None and session_id not in st.sessions:
            raise validation(f"Session with Id {session_id} is not valid. Please check and try "
                             "again.")
        session_id = session_id or str(uuid.uuid4())
        history = st.sessions.setdefault(session_id, [])
    model = runtime_models.resolve(kbc.get("modelArn", ""), converse=True, engine=engine)
    vec = _search_config(kbc.get("retrievalConfiguration"))
    kb = st.searchable(kbc["knowledgeBaseId"])
    query = condense(history, question)
    hits = search(kb, query, vec)
    gen = kbc.get("generationConfiguration") or {}
    template = (gen.get("promptTemplate") or {}).get("textPromptTemplate") or DEFAULT_PROMPT
    inference = (gen.get("inferenceConfig") or {}).get("textInferenceConfig") or {}
    prompt = _prompt(template, hits, question)
    req = GenerationRequest(
        model_id=model.model_id, messages=[Turn("user", [{"text": prompt}])],
        max_tokens=inference.get("maxTokens", 2048), temperature=inference.get("temperature", 0.0),
        top_p=inference.get("topP", 0.9), stop_sequences=inference.get("stopSequences") or [])
    out: dict = {"sessionId": session_id}
    guard = gen.get("guardrailConfiguration")
    # Bedrock screens the user's query with the input guardrail, not the retrieved passages:
    # marking the question as guardContent makes the Converse hook check only that.
    cparams = {"modelId": model.model_id, "messages": [{"role": "user", "content": [
        {"guardContent": {"text": {"text": question}}}, {"text": prompt}]}]}
    if guard:
        cparams["guardrailConfig"] = {"guardrailIdentifier": guard["guardrailId"],
                                      "guardrailVersion": guard["guardrailVersion"]}
        out["guardrailAction"] = "NONE"
        blocked = engine.guardrail_input(cparams, req)
        if blocked is not None:
            text = "".join(b.get("text", "") for b in blocked["output"]["message"]["content"])
            out.update(output={"text": text}, citations=[], guardrailAction="INTERVENED")
            history.append({"question": question, "query": query, "answer": text})
            return out
    result = _generate(engine, req, hits, question)
    text = result.text
    if guard:
        conv = {"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": result.stop_reason,
                "usage": {"inputTokens": result.input_tokens, "outputTokens": result.output_tokens,
                          "totalTokens": result.input_tokens + result.output_tokens},
                "metrics": {"latencyMs": max(result.latency_ms, 1)}}
        conv = engine.guardrail_output(cparams, req, conv)
        if conv.get("stopReason") == "guardrail_intervened":
            text = "".join(b.get("text", "") for b in conv["output"]["message"]["content"])
            out.update(output={"text": text}, citations=[], guardrailAction="INTERVENED")
            history.append({"question": question, "query": query, "answer": text})
            return out
    out["output"] = {"text": text}
    out["citations"] = citations(text, hits)
    history.append({"question": question, "query": query, "answer": text})
    return out
