"""Cheap pre-checks for the lexicon's regular expressions.

Python's ``re`` tries an alternation such as ``(?:kill|murder|stab|...)`` at every position of a
text, so scanning a long document with the lexicon's ~140 rules costs far more than the rules
ever match. :func:`required_literals` reads a pattern's parse tree and returns sets of strings
such that every match contains a string of each set; ``str.__contains__`` rules out most rules
on most texts at a fraction of the cost. The gate is sound (a rule it rejects cannot match) for any text whose
characters lower-case the way ``re``'s IGNORECASE folds them, which holds outside a few exotic
code points (the long s, the Kelvin sign). Patterns it cannot analyse get no gate (``None``).

On a text of several paragraphs, :class:`Paragraphs` narrows a rule further to the paragraphs that
hold a string of every need, so a 15,000-word document costs about what its few relevant paragraphs
cost. A rule then matches within a paragraph (no lexicon rule is meant to span a blank line).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Iterator, NamedTuple

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

Need = frozenset[str]  # one of these strings must occur
Gate = tuple[Need, ...] | None  # every need must be met (None: no gate)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", object())
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


def _best(needs: list[Need]) -> Need | None:
    """The most selective single need: longest shortest string, then fewest strings."""
    return max(needs, key=lambda g: (min(map(len, g)), -len(g))) if needs else None


def _sequence(items) -> list[Need]:
    """Every need of a sequence (all must hold for a match)."""
    needs: list[Need] = []
    run: list[str] = []
    for op, av in list(items) + [(None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av).lower())
            continue
        if run:
            needs.append(frozenset(["".join(run)]))
            run = []
        if op is _c.SUBPATTERN:
            needs += _sequence(av[-1])
        elif op is _ATOMIC:
            needs += _sequence(av)
        elif op is _c.BRANCH:
            need = _branch(av[1])
            if need is not None:
                needs.append(need)
        elif op in _REPEATS and av[0] >= 1:
            needs += _sequence(av[2])
    return needs


def _branch(alternatives) -> Need | None:
    """One need for an alternation: each alternative's most selective need, pooled."""
    out: set[str] = set()
    for alt in alternatives:
        need = _best(_sequence(alt))
        if need is None:
            return None
        out |= need
    return frozenset(out)


@lru_cache(maxsize=4096)
def required_literals(pattern: str, flags: int = 0) -> Gate:
    """Sets of lower-cased strings such that the lower-cased text of every match of ``pattern``
    contains a string of each set, whatever its case flags (case only decides which texts match, and every match of
    a literal lower-cases to the lower-cased literal)."""
    try:
        needs = _sequence(_sre_parse.parse(pattern, flags))
    except Exception:  # noqa: BLE001 - an unanalysable pattern simply gets no gate
        return None
    # the most selective needs first: a text usually fails the first one checked
    return tuple(sorted(set(needs), key=lambda g: (-min(map(len, g)), len(g)))) or None


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


class Paragraphs:
    """A lower-cased text's paragraphs (split at blank lines) and, per string, which of them
    contain it; memoised, so the lexicon's shared strings are looked up once per text."""

    def __init__(self, low: str) -> None:
        self.low = low
        cuts = [m.span() for m in _BLANK_LINE.finditer(low)]
        starts = [0] + [end for _, end in cuts]
        ends = [start for start, _ in cuts] + [len(low)]
        self.spans = list(zip(starts, ends))
        self._starts = starts
        self._where: dict[str, frozenset[int]] = {}
        self._has: dict[str, bool] = {}

    def containing(self, s: str) -> frozenset[int]:
        """Indexes of the paragraphs in which ``s`` occurs (where an occurrence starts)."""
        got = self._where.get(s)
        if got is None:
            found = set()
            i = self.low.find(s)
            while i >= 0:
                k = bisect_right(self._starts, i) - 1
                found.add(k)
                i = self.low.find(s, max(i + 1, self.spans[k][1]))  # skip the rest of paragraph k
            self._where[s] = got = frozenset(found)
        return got

    def finditer(self, rule: "Rule", text: str) -> Iterator[re.Match]:
        """Every match of ``rule`` inside the paragraphs that could hold one, in order (``text``:
        the original of this lower-cased text)."""
        target = self.low if rule.lowered else text
        if not self.may_match(rule.gate):
            return
        for k in self.candidates(rule.gate):
            yield from rule.rx.finditer(target, *self.spans[k])

    def may_match(self, gate: Gate) -> bool:
        """:func:`may_match` on this text, each string looked up once (many rules share them)."""
        if gate is None:
            return True
        has = self._has
        for need in gate:
            for s in need:
                found = has.get(s)
                if found is None:
                    has[s] = found = s in self.low
                if found:
                    break
            else:
                return False
        return True

    def candidates(self, gate: Gate) -> list[int]:
        """Indexes of the paragraphs holding a string of every need of ``gate``, in order: the
        first (most selective) need is looked up in the index, the others in those paragraphs."""
        if gate is None:
            return list(range(len(self.spans)))
        first = sorted(set().union(*(self.containing(s) for s in gate[0])))
        rest = gate[1:]
        if not rest:
            return first
        out = []
        for k in first:
            paragraph = self.low[self.spans[k][0]:self.spans[k][1]]
            if all(any(s in paragraph for s in need) for need in rest):
                out.append(k)
        return out


@lru_cache(maxsize=8)
def paragraphs_of(low: str) -> Paragraphs:
    """The :class:`Paragraphs` of a lower-cased text, shared by the policies that read it."""
    return Paragraphs(low)


def may_match(gate: Gate, low: str) -> bool:
    """False only when some need of the gate has none of its strings in ``low``, the lower-cased
    text (so the pattern cannot match)."""
    return gate is None or all(any(s in low for s in need) for need in gate)


_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")  # "(?i)" must stay first


def _first(items) -> set[str] | None:
    """The characters a match of this sequence can start with (None: any, or unknown)."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _c.LITERAL:
            return {chr(av)}
        if op is _c.IN:
            out: set[str] = set()
            for kind, val in av:
                if kind is _c.LITERAL:
                    out.add(chr(val))
                elif kind is _c.RANGE and val[1] - val[0] < 64:
                    out.update(map(chr, range(val[0], val[1] + 1)))
                else:
                    return None
            return out
        if op is _c.BRANCH:
            out = set()
            for alt in av[1]:
                sub = _first(alt)
                if sub is None:
                    return None
                out |= sub
            return out
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            return _first(av[-1])
        if op in _REPEATS and av[0] >= 1:
            return _first(av[2])
        return None
    return None


@lru_cache(maxsize=4096)
def first_chars(pattern: str) -> str | None:
    """A character class every match of ``pattern`` (no flags) starts with, if small."""
    try:
        chars = _first(_sre_parse.parse(pattern, 0))
    except Exception:  # noqa: BLE001
        return None
    if not chars or len(chars) > 24:
        return None
    return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]"


class Rule(NamedTuple):
    """A lexicon pattern compiled for speed: run case-sensitively on the lower-cased text (about
    twice as fast as IGNORECASE, same matches) behind its literal gate, unless the pattern names
    capitals itself (``[A-Z]``, ``(?-i:SYSTEM)``): then IGNORECASE on the original text."""

    rx: re.Pattern
    gate: Gate
    lowered: bool

    def search(self, text: str, low: str | None = None,
               paragraphs: Paragraphs | None = None) -> re.Match | None:
        """The first match in ``text`` (``low``: its lower-cased copy, if already made;
        ``paragraphs``: its :class:`Paragraphs`, to search only those that could match)."""
        low = text.lower() if low is None else low
        target = low if self.lowered else text
        if paragraphs is None or len(paragraphs.spans) < 2:
            ok = may_match(self.gate, low) if paragraphs is None else paragraphs.may_match(self.gate)
            return self.rx.search(target) if ok else None
        if not paragraphs.may_match(self.gate):
            return None
        for k in paragraphs.candidates(self.gate):
            start, end = paragraphs.spans[k]
            while (m := self.rx.search(target, start, end)) is not None:
                # confirmed on the whole text: the paragraph's end may have cut a lookahead short
                if (full := self.rx.match(target, m.start())) is not None:
                    return full
                start = m.start() + 1
        return None


def compile_rule(pattern: str) -> Rule:
    """Compile a case-insensitive lexicon pattern as a :class:`Rule`."""
    if re.search(r"[A-Z]", re.sub(r"\\[A-Za-z]", "", pattern)):
        return Rule(re.compile(pattern, re.IGNORECASE), required_literals(pattern), False)
    head = first_chars(pattern)  # "(?=[yit])\\b(?:your|its|the)": ~3x faster to scan than "\\b(?:..."
    fast = f"(?={head}){pattern}" if head and not _GLOBAL_FLAGS.match(pattern) else pattern
    return Rule(re.compile(fast), required_literals(pattern), True)
