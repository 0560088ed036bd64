"""The deterministic local responder: what answers text requests in offline mode.

It is not a language model, and says so. It does a few things for real, with the local
embeddings and tokenizer: answers extractively from documents in the prompt, picks labels
for classification prompts (nearest label or few-shot example), writes valid JSON with the
keys asked for, filled from the prompt (null where the text does not say; see json_answer),
summarises extractively, and honours maxTokens, stop sequences and sampling parameters
(seeded: temperature 0 repeats exactly, higher temperatures vary call to call).
Set WORKSHOP_LOCAL_LLM_URL to forward to a local OpenAI-compatible server instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections import Counter

import numpy as np

from local_bedrock.catalog import base_model_id
from local_bedrock.markers import MARKER  # noqa: F401  (re-exported: responder.MARKER)
from local_bedrock.text import embeddings
from local_bedrock.text.tokens import count_tokens, truncate_to_tokens
from local_bedrock.text.types import GenerationRequest, GenerationResult

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n{2,}|\n(?=[-*•#]|\d+[.)]\s)")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = set("""a an the and or but if of to in on at for with by from as is are was were be been
being it its this that these those what which who whom whose when where why how do does did can
could should would will shall may might must i you he she we they me him her us them my your our
their please tell about give me explain describe list any some all not no yes than then there here
into over under up down out so such very just also only own same other""".split())


# ------------------------------------------------------------------ public entry point


def respond(req: GenerationRequest) -> GenerationResult:
    """Answer a generation request deterministically (or via WORKSHOP_LOCAL_LLM_URL)."""
    input_tokens = count_request_tokens(req)
    if os.environ.get("WORKSHOP_LOCAL_LLM_URL"):
        from local_bedrock.text.forward import forward

        return forward(req, input_tokens)
    rng = _rng(req)
    prefill = _prefill(req)
    text = _compose(req, rng, prefill)
    text = _continue_prefill(prefill, text)
    return finish(req, text, input_tokens)


def finish(req: GenerationRequest, text: str, input_tokens: int) -> GenerationResult:
    """Apply stop sequences and maxTokens to a composed answer, Bedrock-style."""
    stop_reason, stop_seq = "end_turn", None
    cut = [(text.find(s), s) for s in req.stop_sequences if s and s in text]
    if cut:
        pos, stop_seq = min(cut)
        text, stop_reason = text[:pos], "stop_sequence"
    text, truncated = truncate_to_tokens(text, req.max_tokens)
    if truncated:
        stop_reason, stop_seq = "max_tokens", None
    return GenerationResult(text=text, stop_reason=stop_reason, stop_sequence=stop_seq,
                            input_tokens=input_tokens, output_tokens=count_tokens(text))


def count_request_tokens(req: GenerationRequest) -> int:
    """Input tokens of a request: system, every text block, tool specs, ~1,000 per image."""
    total = count_tokens(req.system)
    for turn in req.messages:
        for block in turn.content:
            if "text" in block:
                total += count_tokens(block["text"])
            elif "image" in block or "document" in block:
                total += 1000
            else:
                total += count_tokens(json.dumps(block, default=str))
    if req.tools:
        total += count_tokens(json.dumps(req.tools, default=str))
    return max(total, 1)


# ------------------------------------------------------------------ helpers


def _rng(req: GenerationRequest) -> random.Random:
    """Seeded per request; at temperature > 0 each repeat of the same request to the same engine
    varies (``req.next_repeat``, set by the engine, counts them)."""
    key = json.dumps([req.resolved_model or base_model_id(req.model_id), req.system,  # one model, one answer, however
                      [(t.role, t.text) for t in req.messages],  # it is called (id, profile)
                      req.temperature, req.top_p], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()
    seed = int(digest[:16], 16)
    next_repeat = getattr(req, "next_repeat", None)
    if req.temperature > 0 and next_repeat is not None:
        seed += next_repeat(digest)
    return random.Random(seed)


def _prefill(req: GenerationRequest) -> str:
    if req.messages and req.messages[-1].role == "assistant":
        return req.messages[-1].text
    return ""


_OPEN_TAG = re.compile(r"<([A-Za-z_][\w-]*)>\s*$")


def _continue_prefill(prefill: str, text: str) -> str:
    """Continue a prefilled assistant turn: never repeat it, and close a tag it opened.

    A prefill of `<category>` gets `billing</category>` (so a stop sequence `</category>`
    ends the answer cleanly); a prefill the composed text starts with is not repeated.
    """
    head = prefill.strip()
    if not head:
        return text
    if text.startswith(prefill):
        return text[len(prefill):]
    if text.startswith(head):
        return text[len(head):]
    tag = _OPEN_TAG.search(prefill)
    if tag and not re.search(rf"</{re.escape(tag.group(1))}>", prefill):
        name = tag.group(1)
        inner = re.search(rf"<{re.escape(name)}>(.*)", text, re.S)
        if inner:  # the composed text has the tag: continue from inside it
            return inner.group(1)
        return f"{text.strip()}</{name}>"
    return text


def _question(req: GenerationRequest) -> str:
    for turn in reversed(req.messages):
        if turn.role == "user" and turn.text.strip():
            return turn.text
    return ""


def sentences(text: str) -> list[str]:
    """Split text into sentences (and list items), dropping empty pieces."""
    parts = (p.strip() for p in _SENTENCE.split(text))
    return [p for p in parts if p and re.search(r"\w", p)]


def _keywords(text: str, n: int = 6) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2]
    return [w for w, _ in Counter(words).most_common(n)]


def _lexical(q: str, s: str) -> float:
    qw = {w for w in _WORD.findall(q.lower()) if w not in _STOP}
    sw = {w for w in _WORD.findall(s.lower()) if w not in _STOP}
    return len(qw & sw) / (len(qw) or 1)


# ------------------------------------------------------------------ composition


_DOC_TAG = re.compile(r"<(document|doc|context|source|passage|search_result)[^>]*>(.*?)</\1>",
                      re.S | re.I)
_CONTEXT_HEAD = re.compile(r"(?:^|\n)\s*(?:context|documents?|passages?|text|article)\s*:\s*\n?",
                           re.I)


def _compose(req: GenerationRequest, rng: random.Random, prefill: str) -> str:
    question = _question(req)
    full = "\n".join([req.system] + [t.text for t in req.messages if t.role == "user"])
    tool_results = [b["toolResult"] for t in req.messages[-1:] for b in t.content
                    if "toolResult" in b]
    if tool_results:
        return _from_tool_results(question, tool_results)
    from local_bedrock.text import vision  # lab 05: images/documents are measured, not seen

    described = vision.describe(req)
    if described:
        return described
    instructions = _DOC_TAG.sub(" ", full)  # what documents in the prompt say is not an instruction
    wants_json = (req.json_schema is not None or prefill.lstrip().startswith(("{", "["))
                  or re.search(r"\bjson\b", instructions, re.I) is not None)
    labels = _labels(instructions)
    if wants_json:
        return _json_answer(req, question, labels, full, rng, prefill)
    if labels:
        return _classification_reply(req, question, full, labels, rng)
    context, query = _split_context(req, question)
    if context:
        if re.search(r"\bsummar|\btl;?dr|\bkey points\b", query, re.I):
            return _summary(context, query, rng)
        return _extractive_answer(context, query)
    if re.search(r"\bsummar|\btl;?dr|\bkey points\b", question, re.I) and count_tokens(question) > 80:
        return _summary(question, question, rng)
    return _honest_reply(req, question, rng)


def answer_from_documents(context: str, query: str) -> str:
    """The engine's extractive answer to `query` from `context` (what RAG answers offline)."""
    return _extractive_answer(context, query)


def _split_context(req: GenerationRequest, question: str) -> tuple[str, str]:
    """Find documents in the prompt; return (context, the question about it)."""
    text = "\n".join([req.system, question])
    tagged = _DOC_TAG.findall(text)
    if tagged:
        context = "\n\n".join(body.strip() for _, body in tagged)
        query = _DOC_TAG.sub(" ", question).strip() or question
        return context, _last_question(query)
    m = _CONTEXT_HEAD.search(question)
    if m:
        rest = question[m.end():]
        q_match = re.search(r"\n\s*(?:question|q)\s*:\s*(.+)", rest, re.I | re.S)
        if q_match:
            return rest[:q_match.start()], q_match.group(1).strip()
        return rest, _last_question(question[:m.start()] or rest)
    if count_tokens(question) > 200:
        return question, _last_question(question)
    return "", question


def _last_question(text: str) -> str:
    qs = [s for s in sentences(text) if s.endswith("?")]
    return qs[-1] if qs else text.strip().splitlines()[-1] if text.strip() else text


def _rank(query: str, candidates: list[str]) -> np.ndarray:
    """Score candidates against a query: cosine of real embeddings plus word overlap."""
    vecs = embeddings.embed([query] + candidates)
    cos = vecs[1:] @ vecs[0]
    lex = np.array([_lexical(query, c) for c in candidates])
    return 0.6 * cos + 0.4 * lex


def _extractive_answer(context: str, query: str) -> str:
    cands = sentences(context)
    if not cands:
        return f"{MARKER} The documents provided are empty, so there is nothing to answer from."
    scores = _rank(query, cands)
    best = int(np.argmax(scores))
    if scores[best] < 0.35 or _lexical(query, cands[best]) == 0:
        return (f"{MARKER} I could not find the answer in the provided documents "
                "(not in the documents).")
    picked = [best]
    second = int(np.argsort(scores)[-2]) if len(cands) > 1 else best
    if second != best and scores[second] > 0.8 * scores[best]:
        picked.append(second)
    quote = " ".join(cands[i] for i in sorted(picked))
    return f"{MARKER} From the provided documents: {quote}"


def _summary(context: str, query: str, rng: random.Random) -> str:
    cands = sentences(context)
    if len(cands) <= 2:
        return f"{MARKER} Summary (extractive): " + " ".join(cands)
    vecs = embeddings.embed(cands)
    centroid = vecs.mean(axis=0)
    k = 3 if len(cands) < 12 else 5
    if re.search(r"\bone sentence|\bsingle sentence|\bbrief", query, re.I):
        k = 1
    order = sorted(np.argsort(vecs @ centroid)[-k:])
    picked = [cands[i] for i in order]
    if re.search(r"bullet|points|list", query, re.I):
        return f"{MARKER} Summary (extractive):\n" + "\n".join(f"- {s}" for s in picked)
    return f"{MARKER} Summary (extractive): " + " ".join(picked)


_LABEL_LIST = re.compile(
    r"(?:categor(?:y|ies)|labels?|classes|one of|options?|choose from|classify[^:\n]*into)"
    r"\s*(?:is|are)?\s*[:\->]?\s*(?:\n|)((?:[\w][\w /&'-]{0,30}(?:,\s*|\s+or\s+|\s*\|\s*|\n\s*[-*]\s*))"
    r"+[\w][\w /&'-]{0,30})", re.I)


def _labels(text: str) -> list[str]:
    """Candidate labels listed in a classification prompt, e.g. 'one of: billing, bug, other'.

    Also a bulleted list with descriptions ("- billing: charges, invoices") after a word such
    as "categories"; when a prompt has several lists, the first one wins.
    """
    found = []
    for m in _LABEL_LIST.finditer(text):
        items = re.split(r",\s*|\s+or\s+|\s*\|\s*|\n\s*[-*]\s*", m.group(1))
        items = [i.strip(" .'\"`-*") for i in items if i.strip(" .'\"`-*")]
        if 2 <= len(items) <= 20 and all(len(i.split()) <= 4 for i in items):
            found.append((m.start(), items))
            break
    found += _bullet_labels(text)
    return min(found)[1] if found else []


_BULLET_LABEL = re.compile(r"[ \t]*[-*\u2022][ \t]*[`'\"]?([A-Za-z][\w /&'-]{0,30}?)[`'\"]?[ \t]*[:=][ \t]*\S")
_LABEL_CUE = re.compile(r"categor|label|class|intent|topic|one of", re.I)


def _bullet_labels(text: str) -> list[tuple[int, list[str]]]:
    """Runs of 2+ bullet lines "- name: description" that follow a classification cue."""
    runs, items, start, pos = [], [], 0, 0
    for line in text.split("\n") + [""]:
        m = _BULLET_LABEL.match(line)
        if m and len(m.group(1).split()) <= 4:
            if not items:
                start = pos
            items.append(m.group(1).strip())
        else:
            if len(items) >= 2 and _LABEL_CUE.search(text[max(0, start - 300):start]):
                runs.append((start, items))
            items = []
        pos += len(line) + 1
    return runs[:1]


_EXAMPLE = re.compile(r"^(?:input|ticket|text|message|review|email|example)\s*:\s*(.+?)\n"
                      r"(?:output|category|label|class|answer)\s*:\s*(.+?)$", re.I | re.M)


_EXAMPLE_XML = re.compile(r"<example>\s*<(\w+)>(.*?)</\1>\s*<(\w+)>(.*?)</\3>\s*</example>",
                          re.S | re.I)
_TEXT_WEIGHT = 0.4  # with examples: 40% label text, 60% similarity to the label's examples
_TAU = 0.05  # score units per logit unit: what temperature rescales before sampling


def _classify(question: str, full: str, labels: list[str], req: GenerationRequest | None = None,
              rng: random.Random | None = None) -> str:
    """Pick a label (argmax at temperature 0, sampled above it; see _label_scores)."""
    _, scores, _ = _label_scores(req, question, full, labels)
    return labels[_pick(scores, req, rng)]


def _label_scores(req: GenerationRequest | None, question: str, full: str,
                  labels: list[str]) -> tuple[str, np.ndarray, list[tuple[str, str]]]:
    """Score each label for the text to classify; return (that text, scores, examples used).

    Zero-shot: similarity of the text to each label's name, or to the prompt's description of
    the label when it gives one. Few-shot: labelled examples (in the prompt, in <example> tags,
    or as earlier user/assistant turns) add the similarity to each label's prototype, the
    mean embedding of its examples.
    """
    target = _target_text(question)
    text_scores = _rank(target, [_label_description(full, lab) for lab in labels])
    examples = _examples(req, full, target, labels)
    if not examples:
        return target, text_scores, examples
    vecs = embeddings.embed([target] + [x for x, _ in examples])
    proto = text_scores.copy()
    for i, lab in enumerate(labels):
        rows = [j + 1 for j, (_, y) in enumerate(examples) if y == lab]
        if rows:
            centre = vecs[rows].mean(axis=0)
            proto[i] = float(centre @ vecs[0]) / max(float(np.linalg.norm(centre)), 1e-9)
    return target, _TEXT_WEIGHT * text_scores + (1 - _TEXT_WEIGHT) * proto, examples


def _examples(req: GenerationRequest | None, full: str, target: str,
              labels: list[str]) -> list[tuple[str, str]]:
    """Labelled examples the prompt gives, as (text, label) with labels from `labels`."""
    known = {lab.lower(): lab for lab in labels}
    found = [(x.strip(), y.strip(" .'\"")) for x, y in _EXAMPLE.findall(full)]
    found += [(x.strip(), y.strip(" .'\"")) for _, x, _, y in _EXAMPLE_XML.findall(full)]
    turns = req.messages[:-1] if req else []
    for ask, reply in zip(turns, turns[1:], strict=False):
        if ask.role == "user" and reply.role == "assistant":
            found.append((_target_text(ask.text), reply.text.strip(" .'\"")))
    return [(x, known[y.lower()]) for x, y in found if x != target and y.lower() in known]


def _probs(scores: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(score / (temperature * tau)): how sampling sees the label scores."""
    logits = (scores - scores.max()) / (max(temperature, 1e-6) * _TAU)
    e = np.exp(logits)
    return e / e.sum()


def _pick(scores: np.ndarray, req: GenerationRequest | None, rng: random.Random | None) -> int:
    """Index of the chosen candidate: argmax at temperature 0, else a top-p nucleus sample."""
    if req is None or rng is None or req.temperature <= 0 or len(scores) < 2:
        return int(np.argmax(scores))
    probs = _probs(scores, req.temperature)
    order = np.argsort(-probs)
    nucleus = order[: int(np.searchsorted(np.cumsum(probs[order]), req.top_p)) + 1]
    weights = probs[nucleus] / probs[nucleus].sum()
    r, acc = rng.random(), 0.0
    for idx, w in zip(nucleus, weights, strict=True):
        acc += w
        if r < acc:
            return int(idx)
    return int(nucleus[-1])


_REASONING = re.compile(r"step[- ]by[- ]step|think (?:it )?through|<thinking>|explain your "
                        r"reasoning|show your (?:reasoning|work)|reason(?:ing)? (?:first|before)",
                        re.I)


def _classification_reply(req: GenerationRequest, question: str, full: str, labels: list[str],
                          rng: random.Random) -> str:
    """The label alone, or (when the prompt asks for reasoning) the engine's steps, then it."""
    target, scores, examples = _label_scores(req, question, full, labels)
    label = labels[_pick(scores, req, rng)]
    if not _REASONING.search(full):
        return label
    ranked = sorted(zip(labels, scores, strict=True), key=lambda p: -p[1])
    described = any(_label_description(full, lab) != lab.replace("_", " ") for lab in labels)
    basis = "label descriptions" if described else "label names"
    if examples:
        basis += f" and {len(examples)} labelled examples"
    snippet = target if len(target) <= 120 else target[:119] + "\u2026"
    steps = [f"{MARKER} These steps are the engine's own computation, not a model's thoughts.",
             f'1. Text to classify: "{snippet}"',
             f"2. Similarity scores from the {basis}: "
             + ", ".join(f"{lab} {s:.2f}" for lab, s in ranked) + "."]
    if examples:
        sims = embeddings.embed([target])[0] @ embeddings.embed([x for x, _ in examples]).T
        x, y = examples[int(np.argmax(sims))]
        steps.append(f'3. Nearest labelled example: "{x[:80]}" ({y}).')
    how = "highest score" if label == ranked[0][0] else f"sampled at temperature {req.temperature}"
    steps.append(f"{len(steps)}. Chosen ({how}): {label}.")
    if re.search(r"<answer>", full):
        return "<thinking>\n" + "\n".join(steps) + f"\n</thinking>\n<answer>{label}</answer>"
    return "\n".join(steps) + f"\nAnswer: {label}"


def _label_description(prompt: str, label: str) -> str:
    """The prompt's own description of a label ("- billing: charges, invoices"), else its name."""
    m = re.search(rf"^\s*[-*]?\s*{re.escape(label)}\s*[:=\-]\s*(.{{8,}})$", prompt, re.I | re.M)
    return f"{label}: {m.group(1)}" if m else label.replace("_", " ")


_NOT_INPUT = {"categories", "category", "labels", "label", "classes", "options", "examples",
              "example", "instructions", "rules", "schema", "format", "output_format", "thinking",
              "answer"}


def _target_text(question: str) -> str:
    """The text a classification or extraction prompt is about (its tagged input, else its
    "Ticket:"/"Input:" line, else its last line)."""
    question = re.sub(r"<examples>.*?</examples>", " ", question, flags=re.S | re.I)
    question = re.sub(r"<example>.*?</example>", " ", question, flags=re.S | re.I)
    tagged = [(n, t) for n, t in re.findall(r"<(\w+)>(.*?)</\1>", question, re.S)
              if n.lower() not in _NOT_INPUT]
    if tagged:
        return tagged[-1][1].strip()
    lines = [ln for ln in question.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        m = re.match(r"\s*(?:input|ticket|text|message|review|email)\s*:\s*(.+)", ln, re.I)
        if m:
            return m.group(1)
    return lines[-1] if lines else question


def _json_answer(req: GenerationRequest, question: str, labels: list[str], full: str = "",
                 rng: random.Random | None = None, prefill: str = "") -> str:
    """Valid JSON with the keys the request asks for (a JSON Schema, a JSON template in the
    prompt, or named keys), filled from the prompt's text; see `json_answer`. A prompt that
    names no keys gets {"answer": "[local engine] ..."}."""
    from local_bedrock.text import json_answer

    text = json_answer.answer(req, question, labels, full or question, rng, prefill)
    if text is not None:
        return text
    target = _target_text(question)
    obj = {"answer": f"{MARKER} " + (sentences(target) or [target])[0][:200]}
    return json.dumps([obj] if prefill.lstrip().startswith("[") else obj)


_POS = set("great good love excellent happy thanks thank fast easy works perfect amazing helpful".split())
_NEG = set("bad broken terrible hate slow angry refund worst problem issue error fails failed "
           "disappointed cannot can't won't never".split())


def _sentiment(text: str) -> str:
    words = _WORD.findall(text.lower())
    score = sum(w in _POS for w in words) - sum(w in _NEG for w in words)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def _from_tool_results(question: str, results: list[dict]) -> str:
    parts = []
    for r in results:
        status = r.get("status", "success")
        for block in r.get("content", []):
            value = block.get("text") if "text" in block else json.dumps(block.get("json"))
            if status == "error":
                parts.append(f"the tool reported an error ({value})")
            else:
                parts.append(str(value))
    return f"{MARKER} Based on the tool results: " + "; ".join(parts)


_OPENERS = (
    "This answer comes from the workshop's offline engine, not from a language model.",
    "You are talking to the local engine that stands in for Bedrock offline; it is not a model.",
    "Offline mode: the local engine answers this, and it cannot reason like a model.",
)


def _honest_reply(req: GenerationRequest, question: str, rng: random.Random) -> str:
    """An honest, deterministic reply for open questions the engine cannot really answer."""
    opener = _OPENERS[0] if req.temperature == 0 else rng.choice(_OPENERS)
    keys = _keywords(question)
    topic = ", ".join(keys) if keys else "your message"
    lines = [f"{MARKER} {opener}", f"Your request is about: {topic}."]
    if req.system:
        lines.append(f"It follows the system prompt ({count_tokens(req.system)} tokens).")
    if len(req.messages) > 1:
        lines.append(f"It sees the whole conversation: {len(req.messages)} messages so far.")
    lines.append("For a real answer, run this notebook in live mode (WORKSHOP_MODE=live) or point "
                 "WORKSHOP_LOCAL_LLM_URL at a local OpenAI-compatible server.")
    words = [w for w in re.findall(r"\w+", question)][:60]
    if req.temperature > 0:
        rng.shuffle(words)
    if words:
        lines.append("Words of your prompt, as a sampling demo: " + " ".join(words) + ".")
    return " ".join(lines)
