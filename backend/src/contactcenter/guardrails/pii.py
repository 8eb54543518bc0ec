"""Best-effort PII redaction for logs, summaries and tickets.

`redact` swaps what it recognises for a typed placeholder and counts each kind:

- ``[EMAIL]``, ``[IP]`` (IPv4, and IPv6 in full or ``::`` form);
- ``[CARD]``: 13 to 19 digits, optionally grouped by spaces or dashes, that pass the Luhn check
  (a run right after "order", "tracking", "invoice" or "ref" is left alone: it is a reference);
- ``[IBAN]``: country code, check digits and account, verified with the ISO 13616 mod-97 check;
- ``[SSN]``: US social security numbers written 123-45-6789;
- ``[PHONE]``: international numbers with a leading ``+``, UK national numbers starting with 0,
  and US numbers written in three groups (555-123-4567, (555) 123-4567);
- ``[DATE_OF_BIRTH]``: a date right after "born", "DOB" or "date of birth" (the cue stays);
- ``[POSTCODE]``: UK postcodes in capitals ("SW1A 1AA") and US ZIP+4 ("12345-6789");
- ``[ADDRESS]``: a house number, capitalised words and a street suffix ("221B Baker St");
- ``[NAME]``: up to three capitalised words right after "my name is", or after "name:" when it
  opens a line or clause or reads "full/first/last/customer/patient name:" (the cue stays;
  "Medication name: X" is not a person).

What it does not cover, on purpose or by nature: plain 5-digit ZIP codes (they look like order
numbers and doses), lower-case postcodes, street names and personal names, towns, names without
a cue ("I am X" is too ambiguous), dates without a birth cue, numbers spelled out in words, and
anything written in an unexpected format. Regex redaction lowers the risk, it does not remove it.
Medication names, doses, symptoms and order numbers are kept: the safety log needs them.

Redaction is idempotent: placeholders match none of the patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Redacted", "redact", "redact_for_log"]


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# A replacer gets the match and the placeholder and returns the new text for the whole match,
# or None when the match turns out not to be PII (a failed checksum, a reference number).
Replacer = Callable[[re.Match[str], str], str | None]


def _swap(match: re.Match[str], placeholder: str) -> str:
    """Replaces the ``pii`` group when the pattern has one (keeping its cue), else the match."""
    if "pii" not in match.re.groupindex:
        return placeholder
    start, end = match.span("pii")
    base = match.start()
    whole = match.group(0)
    return whole[: start - base] + placeholder + whole[end - base :]


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Replacer = _swap


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


_REFERENCE_CUE = re.compile(
    r"\b(?:order|tracking|invoice|ref(?:erence)?)\s*(?:no\.?|number|num|id)?\s*[:#]?\s*$",
    re.IGNORECASE,
)


def _card(match: re.Match[str], placeholder: str) -> str | None:
    """The longest Luhn-valid prefix of whole groups (a run may end in an expiry or a CVC)."""
    before = match.string[max(0, match.start() - 30) : match.start()]
    if _REFERENCE_CUE.search(before):
        return None
    run = match.group(0)
    ends = [m.start() for m in re.finditer(r"[ -]", run)] + [len(run)]
    for end in reversed(ends):
        digits = re.sub(r"\D", "", run[:end])
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            return placeholder + run[end:]
    return None


def _iban(match: re.Match[str], placeholder: str) -> str | None:
    compact = match.group(0).replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return None
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return placeholder if int(number) % 97 == 1 else None


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_CAP_WORD = r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'\u2019-]*"
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Parkway|Pkwy|Way|Court|Ct"
    r"|Place|Pl|Close|Crescent|Cres|Terrace|Square|Sq|Highway|Hwy|Gardens|Grove|Row|Mews|Walk)"
)
_HEX4 = r"[0-9A-Fa-f]{1,4}"

# Order matters: e-mails and IPs before anything that reads digits, cards before phones (a card's
# groups look like phone numbers), birth dates before phones (12-03-1980).
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "EMAIL",
        re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
    _Rule(
        "IP",
        re.compile(
            r"(?<![\w.:])(?:"
            r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
            rf"|(?:{_HEX4}:){{7}}{_HEX4}"
            rf"|(?:{_HEX4}:){{1,7}}:(?:{_HEX4}(?::{_HEX4}){{0,6}})?"
            rf"|::{_HEX4}(?::{_HEX4}){{0,6}}"
            r")(?![\w.:])"
        ),
    ),
    _Rule(
        "IBAN",
        re.compile(
            r"\b[A-Z]{2}\d{2}(?:(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?|[A-Z0-9]{11,30})\b"
        ),
        _iban,
    ),
    _Rule(
        "DATE_OF_BIRTH",
        re.compile(
            r"\b(?:born(?:\s+on)?|d\.?o\.?b\b\.?|date\s+of\s+birth)(?:\s+is)?\s*[:-]?\s*"
            rf"(?P<pii>{_DATE})(?!\d)",
            re.IGNORECASE,
        ),
    ),
    _Rule("CARD", re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\d-])"), _card),
    _Rule(
        "SSN", re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
    ),
    _Rule("POSTCODE", re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])")),
    _Rule(
        "PHONE",
        re.compile(
            r"(?<![\w+])(?<!\d[ .-])(?:"
            r"\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}"
            r"|(?:1[ .-])?\(\d{3}\) ?\d{3}[ .-]\d{4}"
            r"|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"
            r"|\d{3} \d{3} \d{4}"
            r"|0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}"
            r")(?!\w)(?![ .-]\d{3})"
        ),
    ),
    _Rule(
        "POSTCODE",
        re.compile(r"\b(?:GIR ?0AA|(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) ?\d[ABD-HJLNP-UW-Z]{2})\b"),
    ),
    _Rule(
        "ADDRESS",
        re.compile(
            r"\b\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?,?\s+"
            rf"(?:{_CAP_WORD}\s+){{1,4}}{_STREET_SUFFIX}\b\.?"
        ),
    ),
    _Rule(
        "NAME",
        re.compile(
            # "name:" alone only opens a line or a clause: "Medication name: X" is not a person
            r"(?i:\bmy\s+name\s+is|(?:^|(?<=[\n,;.(]))[ \t]*name\s*:"
            r"|\b(?:full|first|last|sur|customer|patient|your)\s*name\s*:)"
            rf"[ \t]*(?P<pii>{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})"
        ),
    ),
)


def _apply(rule: _Rule, text: str) -> tuple[str, int]:
    placeholder = f"[{rule.kind}]"
    replaced = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal replaced
        new = rule.replace(match, placeholder)
        if new is None:
            return match.group(0)
        replaced += 1
        return new

    return rule.pattern.sub(substitute, text), replaced


def redact(text: str) -> Redacted:
    """The text with recognised PII replaced by typed placeholders, and how many of each."""
    counts: dict[str, int] = {}
    for rule in _RULES:
        text, n = _apply(rule, text)
        if n:
            counts[rule.kind] = counts.get(rule.kind, 0) + n
    return Redacted(text=text, counts=counts)


def redact_for_log(text: str) -> str:
    return redact(text).text
