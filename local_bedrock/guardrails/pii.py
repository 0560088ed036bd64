"""Offline PII detection for the sensitive-information policy: regular expressions, checksums
and context cues. No model is downloaded.

Detected entity types and how:

* EMAIL, URL (``http(s)://`` or ``www.``), MAC_ADDRESS: patterns.
* PHONE: North-American numbers written with separators (``555-201-3344``, ``(555) 201 3344``,
  ``+1 555 201 3344``), international ``+<country> ...`` numbers of 8-15 digits, and bare
  10-digit numbers right after a cue word ("phone", "call", "mobile", ...).
* CREDIT_DEBIT_CARD_NUMBER: 13-19 digits (spaces/dashes allowed) with a known card-network
  prefix and a valid Luhn checksum, so order numbers and Luhn-invalid look-alikes are not flagged.
* CREDIT_DEBIT_CARD_CVV / _EXPIRY, PIN: 3-4 digits / MM/YY after a cue ("CVV", "exp", "PIN").
* US_SOCIAL_SECURITY_NUMBER: ``AAA-GG-SSSS`` (or spaced) with the SSA validity rules: area not
  000, 666 or 900-999, group not 00, serial not 0000; bare 9 digits only after "SSN"/"social
  security". US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER: 9XX-[50-65|70-88|90-92|94-99]-XXXX.
* IP_ADDRESS: IPv4 with octets <= 255 (not when it reads as a version number, e.g. after
  "version"/"firmware"/"v"), and IPv6 validated with :mod:`ipaddress`.
* AWS_ACCESS_KEY: ``AKIA``/``ASIA``/... + 16 upper-case alphanumerics. AWS_SECRET_KEY: a 40
  character base-64 token that mixes upper case, lower case and digits, or any 40-character token
  after a "secret" cue.
* NAME (heuristic): capitalised words after cues ("my name is", "I'm", "this is", "signed",
  "Mr."/"Ms."/"Mrs."/"Dr."), and capitalised first names from a small hand-written list
  (:data:`FIRST_NAMES`, ambiguous words such as "May" or "Will" left out) optionally followed by a
  capitalised surname. Names not in the list and without a cue are missed.
* ADDRESS (heuristic): house number + capitalised street name + street suffix, with optional
  unit, city, state and ZIP.
* PASSWORD / USERNAME: the token after "password is"/"password:" (it must look like a secret:
  a digit, a symbol or mixed case) / "username:".
* INTERNATIONAL_BANK_ACCOUNT_NUMBER: IBAN shape + ISO 7064 mod-97 check. US_BANK_ROUTING_NUMBER:
  9 digits with the ABA checksum after "routing"/"ABA". VEHICLE_IDENTIFICATION_NUMBER: 17
  characters with a valid check digit. UK_NATIONAL_INSURANCE_NUMBER: the NINO pattern.
  UK_NATIONAL_HEALTH_SERVICE_NUMBER: 10 digits with the mod-11 check after "NHS".
  CA_SOCIAL_INSURANCE_NUMBER: 9 Luhn-valid digits after "SIN"/"social insurance".
* Cue-only (a number after a cue phrase): US_BANK_ACCOUNT_NUMBER ("bank account"),
  US_PASSPORT_NUMBER ("passport"), DRIVER_ID ("driver's license"), LICENSE_PLATE ("plate"),
  SWIFT_CODE ("SWIFT"/"BIC"), UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER ("UTR"), CA_HEALTH_NUMBER
  ("health card"), AGE ("I am 34 years old", "aged 34").
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left
from dataclasses import dataclass

from local_bedrock.guardrails.literal_gate import (
    Paragraphs,
    may_match,
    paragraphs_of,
    required_literals,
)


@dataclass(frozen=True)
class Match:
    type: str
    start: int
    end: int
    text: str


# A hand-written list of common English first names. Words that are also ordinary English words
# or product names (May, Will, Bill, Mark, Grace, Hope, Joy, Rose, Alexa, ...) are left out on
# purpose: the list can only add names it is confident about.
FIRST_NAMES = frozenset("""
aaron adam adrian ahmed aisha alan albert alex alexander alice alicia amanda amber amelia amir
amy ana andrea andrew angela anna anne anthony antonio arjun arthur ashley barbara ben benjamin
beth betty brandon brian bruce carlos carmen carol caroline catherine charles charlotte chen
chloe chris christina christine christopher claire daniel david deborah dennis diana diego
dmitri donald donna dorothy edward elena elizabeth ella emily emma eric ethan eva evelyn fatima
fernando frank gabriel gary george gloria gregory hannah harold harry heather helen henry hiroshi
ian isabella jacob james jane janet jason javier jeffrey jennifer jessica joan john jonathan
jordan jorge jose joseph joshua juan julia julie justin karen katherine kathleen kenneth kevin
kimberly kyle laura lauren linda lisa liam lucas lucy luis maria marie marco martha martin mary
matthew megan melissa michael michelle miguel mohammed mohammad nancy natalie nathan nicholas
nicole noah olivia omar oscar pablo pamela patricia patrick paul peter priya rachel rahul
raymond rebecca richard robert ronald ruth ryan samantha samuel sandra sarah scott sean sharon
sofia sophia sophie stephanie stephen steven susan thomas timothy tom tyler victoria vincent
walter william wei yuki zachary zoe ines tomasz linda
""".split())

_CAP_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_NOT_NAME_WORDS = frozenset("""
i im the a an and or but my your our their his her its this that these those here there
sorry happy glad sure not just so very really still also hi hello hey thanks thank please dear
frustrated disappointed upset annoyed calling writing trying looking having getting contacting
new old good bad fine okay ok on in at from with about wren heron kite sparrow kestrel hub app
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december customer support team
""".split())


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_prefix_ok(digits: str) -> bool:
    n = len(digits)
    if digits[0] == "4":
        return n in (13, 16, 19)
    two, four = int(digits[:2]), int(digits[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if two in (34, 37):
        return n == 15
    if digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649 or 622126 <= int(digits[:6]) <= 622925:
        return 16 <= n <= 19
    if 3528 <= four <= 3589:
        return 16 <= n <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19
    if digits.startswith(("50", "56", "57", "58", "6")):  # Maestro and other debit ranges
        return 12 <= n <= 19
    return False


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


def _itin_ok(area: str, group: str) -> bool:
    g = int(group)
    return area.startswith("9") and (50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99)


def _iban_ok(raw: str) -> bool:
    s = re.sub(r"\s", "", raw).upper()
    if not 15 <= len(s) <= 34:
        return False
    s = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in s)
    return int(num) % 97 == 1


def _aba_ok(d: str) -> bool:
    w = (3, 7, 1) * 3
    return sum(int(c) * k for c, k in zip(d, w, strict=True)) % 10 == 0


_VIN_VALUES = {**{str(i): i for i in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)), **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_ok(v: str) -> bool:
    if not (re.search(r"\d", v) and re.search(r"[A-Z]", v)):
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(v, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return v[8] == ("X" if check == 10 else str(check))


def _nhs_ok(d: str) -> bool:
    total = sum(int(c) * (10 - i) for i, c in enumerate(d[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(d[9])


def _looks_like_secret(tok: str) -> bool:
    if len(tok) < 4:
        return False
    classes = sum(bool(re.search(p, tok)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return bool(re.search(r"[\d\W_]", tok)) or classes >= 2 and tok != tok.capitalize()


_TRAIL = ".,;:!?)]}'\""

# (type, compiled pattern, group to report, validator(match) -> bool or None, priority)
_RX = re.compile
_DETECTORS = [
    ("EMAIL", _RX(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), 0, None, 9),
    ("URL", _RX(r"\b(?:https?://|www\.)[^\s<>\"'`]+"), 0, None, 8),
    ("MAC_ADDRESS", _RX(r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])"), 0, None, 8),
    ("AWS_ACCESS_KEY", _RX(r"\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA|AGPA|ANPA|ANVA|AIPA|APKA)[A-Z0-9]{16}\b"), 0, None, 9),
    ("AWS_SECRET_KEY", _RX(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), 0,
     lambda m, t: (bool(re.search(r"[a-z]", m.group(0)) and re.search(r"[A-Z]", m.group(0))
                        and re.search(r"\d", m.group(0)))
                   or bool(re.search(r"secret|aws", t[max(0, m.start() - 40):m.start()], re.I))), 7),
    ("CREDIT_DEBIT_CARD_NUMBER", _RX(r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])"), 0,
     lambda m, t: (lambda d: 13 <= len(d) <= 19 and _card_prefix_ok(d) and _luhn_ok(d))(re.sub(r"\D", "", m.group(0))), 9),
    ("US_SOCIAL_SECURITY_NUMBER", _RX(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])"), 0,
     lambda m, t: _ssn_ok(m.group(1), m.group(3), m.group(4)), 8),
    ("US_SOCIAL_SECURITY_NUMBER", _RX(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*(?:is|:|#|=)?\s*(?-i:(\d{3})(\d{2})(\d{4}))\b"), 0,
     lambda m, t: _ssn_ok(m.group(1), m.group(2), m.group(3)), 8),
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", _RX(r"(?<![\d-])(9\d{2})[- ](\d{2})[- ](\d{4})(?![\d-])"), 0,
     lambda m, t: _itin_ok(m.group(1), m.group(2)), 8),
    ("PHONE", _RX(r"(?<![\w+-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"), 0, None, 6),
    ("PHONE", _RX(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?![\w-])"), 0,
     lambda m, t: 8 <= len(re.sub(r"\D", "", m.group(0))) <= 15, 6),
    ("PHONE", _RX(r"(?i)\b(?:phone|call|tel|telephone|mobile|cell|whatsapp|text me|reach me)\b[^\d\n]{0,20}(\d{10,11})\b"), 1, None, 6),
    ("IP_ADDRESS", _RX(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]|\.\d)"), 0,
     lambda m, t: not re.search(r"(?i)(?:version|firmware|release|build|ios|android|\bv)\s*$", t[max(0, m.start() - 12):m.start()]), 7),
    ("IP_ADDRESS", _RX(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"), 0,
     lambda m, t: _is_ipv6(m.group(0)), 7),
    ("CREDIT_DEBIT_CARD_CVV", _RX(r"(?i)\b(?:cvv2?|cvc2?|cid|security code|csc)\b\s*(?:is|:|=|#)?\s*(\d{3,4})\b"), 1, None, 7),
    ("CREDIT_DEBIT_CARD_EXPIRY", _RX(r"(?i)\b(?:exp(?:iry|iration|ires)?(?:\s+date)?|valid (?:thru|through|until))\b\.?\s*(?:is|:|=|on)?\s*((?:0[1-9]|1[0-2])\s?/\s?(?:\d{4}|\d{2}))\b"), 1, None, 7),
    ("PIN", _RX(r"(?i)\bpin(?:\s*(?:code|number))?\b\s*(?:is|:|=|#)?\s*(\d{4,8})\b"), 1, None, 7),
    ("PASSWORD", _RX(r"(?i)\b(?:password|passwd|pwd|passcode|passphrase)\s*(?:is|:|=)\s*[\"']?(\S+?)[\"']?(?=[\s,;]|[.!?](?:\s|$)|$)"), 1,
     lambda m, t: _looks_like_secret(m.group(1).rstrip(_TRAIL)), 7),
    ("PASSWORD", _RX(r"(?i)\b(?:password|passwd|pwd|passcode|passphrase)\s+(?-i:(?=[^\s]*\d)(?=[^\s]*[A-Za-z])([^\s,;]{6,}))"), 1,
     lambda m, t: _looks_like_secret(m.group(1).rstrip(_TRAIL)) and not re.match(r"(?i)(?:is|was|reset|for|of)$", m.group(1)), 7),
    ("USERNAME", _RX(r"(?i)\b(?:user\s?name|user id|login(?: name)?|handle)\s*(?:is|:|=)\s*[\"']?@?([A-Za-z0-9._-]{3,})"), 1,
     lambda m, t: m.group(1).lower() not in {"the", "not", "my", "your", "wrong", "correct", "same"}, 7),
    ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", _RX(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b"), 0,
     lambda m, t: _iban_ok(m.group(0)), 8),
    ("US_BANK_ROUTING_NUMBER", _RX(r"(?i)\b(?:routing|aba|rtn)(?:\s*(?:number|no\.?|#))?\s*(?:is|:|=)?\s*(\d{9})\b"), 1,
     lambda m, t: _aba_ok(m.group(1)), 8),
    ("US_BANK_ACCOUNT_NUMBER", _RX(r"(?i)\b(?:bank|checking|savings|chequing)\s+account(?:\s*(?:number|no\.?|#))?\s*(?:is|:|=)?\s*(\d{6,17})\b"), 1, None, 7),
    ("VEHICLE_IDENTIFICATION_NUMBER", _RX(r"\b[A-HJ-NPR-Z0-9]{17}\b"), 0, lambda m, t: _vin_ok(m.group(0)), 7),
    ("UK_NATIONAL_INSURANCE_NUMBER", _RX(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"), 0, None, 7),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", _RX(r"(?i)\bnhs(?:\s*(?:number|no\.?|#))?\s*(?:is|:)?\s*(\d{3}[ -]?\d{3}[ -]?\d{4})\b"), 1,
     lambda m, t: _nhs_ok(re.sub(r"\D", "", m.group(1))), 8),
    ("CA_SOCIAL_INSURANCE_NUMBER", _RX(r"(?i)\b(?:sin|social insurance(?: number)?)\s*(?:is|:|#)?\s*(\d{3}[ -]?\d{3}[ -]?\d{3})\b"), 1,
     lambda m, t: _luhn_ok(re.sub(r"\D", "", m.group(1))), 8),
    ("CA_HEALTH_NUMBER", _RX(r"(?i)\b(?:health card|ohip|health number)(?:\s*(?:number|no\.?|#))?\s*(?:is|:)?\s*(\d{4}[ -]?\d{3}[ -]?\d{3}(?:[ -]?[A-Z]{2})?)\b"), 1, None, 7),
    ("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", _RX(r"(?i)\b(?:utr|unique taxpayer reference)(?:\s*(?:number|no\.?|#))?\s*(?:is|:)?\s*(\d{5} ?\d{5})\b"), 1, None, 7),
    ("US_PASSPORT_NUMBER", _RX(r"(?i)\bpassport(?:\s*(?:number|no\.?|#))?\s*(?:is|:)?\s*([A-Z]?\d{8,9})\b"), 1, None, 7),
    ("DRIVER_ID", _RX(r"(?i)\bdriver'?s?\s+licen[cs]e(?:\s*(?:number|no\.?|#|id))?\s*(?:is|:)?\s*([A-Z0-9-]{5,16})\b"), 1,
     lambda m, t: bool(re.search(r"\d", m.group(1))), 7),
    ("LICENSE_PLATE", _RX(r"(?i)\b(?:licen[cs]e plate|number plate|plate(?: number)?)\s*(?:is|:|#)?\s*([A-Z0-9][A-Z0-9 -]{3,8}[A-Z0-9])\b"), 1,
     lambda m, t: bool(re.search(r"\d", m.group(1))), 6),
    ("SWIFT_CODE", _RX(r"(?i)\b(?:swift|bic)(?:\s*(?:code|number))?\s*(?:is|:)?\s*(?-i:([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?))\b"), 1, None, 7),
    ("AGE", _RX(r"(?i)\b(?:i am|i'm|he is|she is|he's|she's|aged|age:?)\s+(\d{1,3})(?:\s*(?:years?|yrs?)[\s-]*old)?\b"), 1,
     lambda m, t: re.search(r"(?i)aged|age|years?|yrs?", m.group(0)) is not None and 0 < int(m.group(1)) < 125, 5),
    ("ADDRESS", _RX(r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Loop|Circle|Cir|Highway|Hwy|Square|Sq)\b\.?"
                    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|#)\.?\s*[\w-]+)?(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?(?:,?\s*[A-Z]{2}\s*\d{5}(?:-\d{4})?)?"), 0, None, 6),
]


def _is_ipv6(s: str) -> bool:
    if s.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(s)
        return True
    except ValueError:
        return False


_NAME_CUE = re.compile(
    r"(?:\b(?i:my name is|my name's|name:|call me|this is|signed,?|regards,?|sincerely,?|cheers,?)\s+"
    rf"({_CAP_WORD}(?:\s+{_CAP_WORD})?))")
_NAME_IAM = re.compile(rf"\b(?i:i am|i'm|im)\s+({_CAP_WORD}(?:\s+{_CAP_WORD})?)")
_NAME_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+({_CAP_WORD}(?:\s+{_CAP_WORD})?)")
_NAME_LIST = re.compile(rf"\b({_CAP_WORD})(?:\s+({_CAP_WORD}))?")


def _names(text: str) -> list[Match]:
    found: list[Match] = []

    def add(start: int, end: int) -> None:
        found.append(Match("NAME", start, end, text[start:end]))

    def trim_second(m: re.Match, group: int) -> tuple[int, int]:
        """Drop a trailing capitalised word that is not a plausible name part."""
        span_text = m.group(group)
        parts = span_text.split()
        if len(parts) == 2 and parts[1].lower() in _NOT_NAME_WORDS:
            return m.start(group), m.start(group) + len(parts[0])
        return m.span(group)

    for m in _NAME_CUE.finditer(text):
        first = m.group(1).split()[0]
        if first.lower() in _NOT_NAME_WORDS:
            continue
        if m.group(0).lower().startswith("this is") and first.lower() not in FIRST_NAMES:
            continue
        add(*trim_second(m, 1))
    for m in _NAME_IAM.finditer(text):
        if m.group(1).split()[0].lower() in FIRST_NAMES:
            add(*trim_second(m, 1))
    for m in _NAME_TITLE.finditer(text):
        if m.group(1).split()[0].lower() not in _NOT_NAME_WORDS:
            add(*trim_second(m, 1))
    for m in _NAME_LIST.finditer(text):
        if m.group(1).lower() in FIRST_NAMES:
            if m.group(2) and m.group(2).lower() not in _NOT_NAME_WORDS:
                add(m.start(), m.end())
            else:
                add(m.start(1), m.end(1))
    return found


def _find(rx: re.Pattern, text: str, gate, paragraphs: Paragraphs):
    """Every match of a detector: a keyword-triggered one only in the paragraphs that hold its
    keywords (an entity never spans a blank line), each confirmed on the whole text."""
    if gate is None or len(paragraphs.spans) < 2:
        yield from rx.finditer(text)
        return
    for k in paragraphs.candidates(gate):
        start, end = paragraphs.spans[k]
        for m in rx.finditer(text, start, end):
            if (full := rx.match(text, m.start())) is not None:
                yield full


def detect(text: str) -> list[Match]:
    """All PII entities found in ``text``; overlapping candidates resolved longest span first,
    then by detector priority."""
    candidates: list[tuple[int, int, Match]] = []
    low = text.lower()
    paragraphs = paragraphs_of(low)
    for etype, rx, group, check, prio in _DETECTORS:
        gate = required_literals(rx.pattern, rx.flags)
        if not may_match(gate, low):
            continue  # a keyword-triggered detector whose keywords are absent
        for m in _find(rx, text, gate, paragraphs):
            if check is not None and not check(m, text):
                continue
            start, end = m.span(group)
            value = text[start:end]
            stripped = value.rstrip(_TRAIL) if etype in ("URL", "PASSWORD") else value
            end -= len(value) - len(stripped)
            if end > start:
                candidates.append((prio, end - start, Match(etype, start, end, text[start:end])))
    for nm in _names(text):
        candidates.append((4, nm.end - nm.start, nm))
    candidates.sort(key=lambda c: (-c[1], -c[0], c[2].start))
    chosen: list[Match] = []  # kept sorted by start; chosen spans never overlap
    starts: list[int] = []
    for _, _, m in candidates:
        i = bisect_left(starts, m.start)
        if (i == 0 or chosen[i - 1].end <= m.start) and (i == len(chosen) or m.end <= chosen[i].start):
            chosen.insert(i, m)
            starts.insert(i, m.start)
    return chosen
