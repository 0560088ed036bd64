"""Chunking strategies, shared by the engine's knowledge bases and the notebooks (`utils.rag`).

Every chunk keeps the character span it came from (`doc.text[start:end]`), so a citation can
point back at the exact passage, and its page for PDFs.

- `fixed_size`: windows of N characters with overlap; cuts words and sentences in half.
- `fixed_tokens`: Bedrock's FIXED_SIZE strategy: whole sentences packed up to `max_tokens`
  tokens, the next chunk starting with sentences covering `overlap_pct` percent of the tokens.
- `recursive`: split on paragraphs, then lines, then sentences, then words, until pieces fit
  (the idea of LangChain's RecursiveCharacterTextSplitter), merged back up to `size` characters.
- `by_heading`: one chunk per section under a heading (Markdown `#`, or short heading-like lines
  in text and PDF), prefixed with the document title; long sections are split by `fixed_tokens`.
- `whole`: one chunk per document (Bedrock's NONE strategy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from local_bedrock.knowledge_bases.documents import Document
from local_bedrock.text.tokens import count_tokens


@dataclass
class Chunk:
    """A passage of a document: id `doc_id#n`, text, and its span in the document."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    metadata: dict = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return count_tokens(self.text)


Span = tuple[int, int]

_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9$])|\n\s*\n|\n(?=\s*(?:[-*•|#]|\d+\.\s))")
_WORDS = re.compile(r"\S+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+\S")
_TERMINAL = (".", ":", ";", ",", "!")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of sentences, list items and table rows in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _SENT_END.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _make(doc: Document, spans: Iterable[Span],
          extra: Callable[[Span], dict] | None = None) -> list[Chunk]:
    chunks = []
    for span in spans:
        s, e = _trim(doc.text, *span)
        if e <= s:
            continue
        meta = {**doc.metadata}
        page = doc.page_at(s)
        if page is not None:
            meta["page"] = page
        if extra:
            meta.update(extra(span))
        chunks.append(Chunk(f"{doc.doc_id}#{len(chunks)}", doc.doc_id, doc.text[s:e], s, e, meta))
    return chunks


def fixed_size(doc: Document, size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Windows of `size` characters, each starting `size - overlap` after the previous one."""
    if not 0 <= overlap < size:
        raise ValueError("overlap must be >= 0 and smaller than size")
    n = len(doc.text)
    starts = range(0, max(n - overlap, 1), size - overlap)
    return _make(doc, ((s, min(s + size, n)) for s in starts))


def _split_long(text: str, span: Span, max_tokens: int) -> list[Span]:
    """Split one over-long sentence into word runs of at most `max_tokens` tokens."""
    words = [(m.start(), m.end()) for m in _WORDS.finditer(text, *span)]
    out, cur = [], []
    for w in words:
        if cur and count_tokens(text[cur[0][0]:w[1]]) > max_tokens:
            out.append((cur[0][0], cur[-1][1]))
            cur = []
        cur.append(w)
    if cur:
        out.append((cur[0][0], cur[-1][1]))
    return out


def pack_sentences(text: str, units: list[Span], max_tokens: int, overlap_pct: int) -> list[Span]:
    """Pack consecutive spans into windows of <= max_tokens tokens, with sentence overlap."""
    sized = []
    for span in units:
        t = count_tokens(text[span[0]:span[1]])
        if t > max_tokens:
            sized += [(s, count_tokens(text[s[0]:s[1]])) for s in _split_long(text, span, max_tokens)]
        else:
            sized.append((span, t))
    windows, i = [], 0
    budget = max_tokens * overlap_pct / 100
    while i < len(sized):
        j, total = i, 0
        while j < len(sized) and (j == i or total + sized[j][1] <= max_tokens):
            total += sized[j][1]
            j += 1
        while j - 1 > i and count_tokens(text[sized[i][0][0]:sized[j - 1][0][1]]) > max_tokens:
            j -= 1  # the gaps between sentences (newlines, list marks) cost tokens too
        windows.append((sized[i][0][0], sized[j - 1][0][1]))
        if j >= len(sized):
            break
        back, k = 0, j
        while k - 1 > i and back + sized[k - 1][1] <= budget:
            k -= 1
            back += sized[k][1]
        i = k
    return windows


def fixed_tokens(doc: Document, max_tokens: int = 300, overlap_pct: int = 20) -> list[Chunk]:
    """Bedrock FIXED_SIZE: sentences packed up to `max_tokens`, `overlap_pct`% overlap."""
    if not 0 <= overlap_pct <= 99 or max_tokens < 20:
        raise ValueError("max_tokens must be >= 20 and overlap_pct between 0 and 99")
    return _make(doc, pack_sentences(doc.text, sentence_spans(doc.text), max_tokens, overlap_pct))


_SEPARATORS = ("\n\n", "\n", ". ", " ")


def _recursive_spans(text: str, span: Span, size: int, seps: tuple[str, ...]) -> list[Span]:
    s, e = span
    if e - s <= size or not seps:
        return [span]
    sep, rest = seps[0], seps[1:]
    pieces, pos = [], s
    while True:
        k = text.find(sep, pos, e)
        if k < 0:
            pieces.append((pos, e))
            break
        pieces.append((pos, k + len(sep)))
        pos = k + len(sep)
    if len(pieces) == 1:
        return _recursive_spans(text, span, size, rest)
    out = []
    for p in pieces:
        out += _recursive_spans(text, p, size, rest) if p[1] - p[0] > size else [p]
    return out


def recursive(doc: Document, size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Split on paragraphs, lines, sentences, words; merge pieces back up to `size` characters."""
    pieces = _recursive_spans(doc.text, (0, len(doc.text)), size, _SEPARATORS)
    windows, cur = [], []
    for p in pieces:
        if cur and p[1] - cur[0][0] > size:
            windows.append((cur[0][0], cur[-1][1]))
            while cur and (cur[-1][1] - cur[0][0] > overlap or p[1] - cur[0][0] > size):
                cur.pop(0)
        cur.append(p)
    if cur:
        windows.append((cur[0][0], cur[-1][1]))
    return _make(doc, windows)


def _is_plain_heading(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    words = line.split()
    if not line or len(words) > 10 or line.startswith(("-", "*", "•", "|")):
        return False
    if line.endswith(_TERMINAL) or not (line[0].isupper() or line[0].isdigit()):
        return False
    if i + 1 >= len(lines) or not lines[i + 1].strip():
        return i + 2 < len(lines) and line.isupper()
    prev = lines[i - 1].strip() if i else ""
    return not prev or prev.endswith((".", "!", "?", ":")) or prev.isupper() or i == 0


def heading_spans(doc: Document) -> list[tuple[Span, str]]:
    """(span, heading) of each section: Markdown headings, else heading-like short lines."""
    text = doc.text
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    markdown = doc.format == "md"
    starts = []
    for i, line in enumerate(lines):
        is_heading = (_MD_HEADING.match(line) is not None if markdown
                      else _is_plain_heading(lines, i))
        if is_heading:
            starts.append((offsets[i], line.strip().lstrip("#").strip()))
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, doc.title))
    out = []
    for k, (s, title) in enumerate(starts):
        e = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        if text[s:e].strip():
            out.append(((s, e), title))
    return out


def by_heading(doc: Document, max_tokens: int = 300, overlap_pct: int = 0,
               min_tokens: int = 25) -> list[Chunk]:
    """One chunk per section (title + heading as context); long sections split by tokens."""
    spans, headings = [], {}
    pending: Span | None = None
    for (s, e), heading in heading_spans(doc):
        if pending is not None:  # a tiny section (e.g. the title alone) joins the next one
            s = pending[0]
            pending = None
        if count_tokens(doc.text[s:e]) < min_tokens and e < len(doc.text):
            pending = (s, e)
            continue
        if count_tokens(doc.text[s:e]) > max_tokens:
            parts = pack_sentences(doc.text, sentence_spans(doc.text, s, e), max_tokens,
                                   overlap_pct)
        else:
            parts = [(s, e)]
        for p in parts:
            spans.append(p)
            headings[p] = heading
    if pending is not None:
        spans.append(pending)
    title = doc.title
    chunks = _make(doc, spans, extra=lambda sp: {"heading": headings.get(sp, title)})
    for c in chunks:
        if c.start > 0 and not c.text.startswith(title):
            c.text = f"{title}\n{c.text}"
    return chunks


def whole(doc: Document) -> list[Chunk]:
    """The whole document as one chunk (Bedrock's NONE strategy)."""
    return _make(doc, [(0, len(doc.text))])


STRATEGIES: dict[str, Callable[..., list[Chunk]]] = {
    "fixed_size": fixed_size,
    "fixed_tokens": fixed_tokens,
    "recursive": recursive,
    "by_heading": by_heading,
    "whole": whole,
}


def chunk_documents(docs: Iterable[Document], strategy: str = "fixed_tokens",
                    **options) -> list[Chunk]:
    """Chunk every document with a named strategy (see STRATEGIES)."""
    try:
        fn = STRATEGIES[strategy]
    except KeyError:
        raise ValueError(f"unknown chunking strategy {strategy!r}: use one of "
                         f"{', '.join(STRATEGIES)}") from None
    return [c for d in docs for c in fn(d, **options)]
