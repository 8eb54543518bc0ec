"""What kind of safety report a message is, for the compliance log (the message itself is
stored there only PII-redacted)."""

from __future__ import annotations

import re

# checked in order: the first kind whose cue appears wins; 'adverse_reaction' is the default
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "self_harm",
        re.compile(
            r"\b(?:kill (?:myself|me)|suicid\w*|self[- ]harm\w*|end (?:my|it all)|"
            r"(?:hurt|harm) (?:myself|me)|overdose on purpose|don'?t want to (?:live|be alive))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "emergency",
        re.compile(
            r"\b(?:can'?t breathe|cannot breathe|unconscious|not breathing|chest pain|seizure|"
            r"passed out|collapsed|anaphyla\w*|swelling (?:of|in) (?:my |the )?(?:throat|tongue|"
            r"face)|emergency|911|999|112|ambulance)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "medication_error",
        re.compile(
            r"\b(?:wrong (?:medication|medicine|pills?|dose|dosage|drug|prescription|strength)|"
            r"double dose|took (?:two|2|twice|too many|an extra)|extra dose|overdose\w*|"
            r"swallowed|mislabel\w*|mixed up|instead of)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "legal_complaint",
        re.compile(
            r"\b(?:lawyer|attorney|sue|suing|lawsuit|legal action|regulator|complain\w* to|"
            r"formal complaint|gdpr|hipaa|data breach|discriminat\w*|ombudsman)\b",
            re.IGNORECASE,
        ),
    ),
)


def safety_kind(text: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "adverse_reaction"
