"""The prompt perturbations behind Bedrock's Robustness metric, reproducible per prompt.

Bedrock: "convert text to all lower cases, keyboard typos, converting numbers to words, random
changes to upper case and random addition/deletion of whitespaces"; "each prompt in the dataset
is perturbed approximately 5 times"
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-programmatic.html,
checked 2026-12-07). The engine makes one perturbation of each kind, seeded by the prompt, with
the probabilities of the open-source fmeval library (typos 0.1, upper case 0.1, whitespace
removal 0.1 and addition 0.05).
"""

from __future__ import annotations

import random
import re
import zlib

_NEIGHBOURS = {  # QWERTY neighbours, for "butter finger" typos
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "o", "a": "qsz", "s": "adwx", "d": "sfec", "f": "dgrv", "g": "fhtb",
    "h": "gjyn", "j": "hkum", "k": "jli", "l": "ko", "z": "ax", "x": "zcs", "c": "xvd",
    "v": "cbf", "b": "vng", "n": "bmh", "m": "nj",
}
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _rng(text: str, kind: int) -> random.Random:
    return random.Random(zlib.crc32(text.encode("utf-8")) * 7 + kind)


def number_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 ("twenty-one", "one thousand nine hundred")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = n % 1000
    return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def lower(text: str) -> str:
    """All lower case."""
    return text.lower()


def typos(text: str, prob: float = 0.1) -> str:
    """Some letters replaced by a keyboard neighbour."""
    rng = _rng(text, 1)
    out = []
    for ch in text:
        near = _NEIGHBOURS.get(ch.lower())
        if near and rng.random() < prob:
            swap = rng.choice(near)
            ch = swap.upper() if ch.isupper() else swap
        out.append(ch)
    return "".join(out)


def numbers_to_words(text: str) -> str:
    """Whole numbers under a million written in words (others unchanged)."""
    return re.sub(r"\b\d{1,6}\b", lambda m: number_words(int(m.group())), text)


def random_upper(text: str, prob: float = 0.1) -> str:
    """Some letters upper-cased at random."""
    rng = _rng(text, 2)
    return "".join(ch.upper() if ch.isalpha() and rng.random() < prob else ch for ch in text)


def whitespace(text: str, remove: float = 0.1, add: float = 0.05) -> str:
    """Some spaces removed and some added."""
    rng = _rng(text, 3)
    out = []
    for ch in text:
        if ch == " " and rng.random() < remove:
            continue
        out.append(ch)
        if ch != " " and rng.random() < add:
            out.append(" ")
    return "".join(out)


KINDS = (lower, typos, numbers_to_words, random_upper, whitespace)


def perturbations(prompt: str) -> list[str]:
    """The prompt's five perturbed versions, one of each kind."""
    return [kind(prompt) for kind in KINDS]
