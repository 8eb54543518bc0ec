"""The safety detector: a small high-precision lexicon plus a logistic head on the embedding.

The lexicon is written from domain knowledge (pharmacovigilance, crisis and complaint-handling
vocabulary), not from evaluation sentences. It catches phrases whose presence alone justifies
a person looking at the message; the head catches everything said in other words (reactions,
withdrawal, medication errors). Medication vocabulary alone is never in the lexicon."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# (label shown in decision paths, pattern); matched case-insensitively on word boundaries
_LEXICON: tuple[tuple[str, str], ...] = (
    # overdose and poisoning
    ("overdose", r"overdos\w*|\bod'?d\b|\bod(?:ing)? on\b"),
    (
        "took too many",
        r"took (?:too many|a whole (?:bottle|box|pack)|all (?:of )?my (?:pills|meds|tablets))"
        r"|took too much (?:of )?(?:my |the |his |her )?(?:medicine|medication|meds|pills|insulin)",
    ),
    ("poisoning", r"poison(?:ed|ing)|poison control"),
    ("swallowed medication", r"(?:swallowed|ate|drank) (?:a handful|the whole|a (?:bottle|box))"),
    # self-harm and suicide
    ("suicide", r"suicid\w*"),
    ("kill myself", r"kill(?:ing)? myself"),
    ("end my life", r"end(?:ing)? (?:my life|it all)"),
    ("want to die", r"(?:want|wanna|going) to die\b"),
    ("don't want to live", r"(?:do not|don'?t|dont) want to (?:live|be alive|wake up)"),
    ("self-harm", r"self[- ]?harm\w*|hurt(?:ing)? myself|cut(?:ting)? myself"),
    # emergencies
    (
        "can't breathe",
        r"(?:can'?t|cannot|can not|unable to|trouble|difficulty|struggling to) breath\w*",
    ),
    ("not breathing", r"(?:not|stopped|isn'?t) breathing"),
    ("throat closing", r"throat (?:is )?(?:closing|swelling|swollen|tight)"),
    ("anaphylaxis", r"anaphyla\w*|epi-?pen"),
    ("allergic reaction", r"allergic reaction"),
    ("swelling of face or lips", r"(?:lips?|tongue|face|throat) (?:is |are )?(?:swelling|swollen)"),
    ("unconscious", r"unconscious|unresponsive|passed out|fainted"),
    ("seizure", r"seizures?|convulsi\w*"),
    ("chest pain", r"chest pains?|heart attack|having a stroke"),
    ("ambulance", r"ambulance|\b911\b|\b999\b|emergency room"),
    # adverse reactions and medication errors said in so many words
    ("adverse reaction", r"adverse (?:drug )?(?:reaction|event|effect)s?|bad reaction"),
    ("withdrawal symptoms", r"withdrawal (?:symptoms?|effects?)|brain zaps?"),
    ("serotonin syndrome", r"serotonin syndrome"),
    (
        "wrong medication",
        r"wrong (?:medication|medicine|meds|drug|pills?|tablets?|dose|dosage|strength|insulin)"
        r"|someone else'?s (?:prescription|medication|pills)",
    ),
    (
        "took a double dose",
        r"took (?:a )?(?:double|extra) dose|took (?:it|them|my \w+ pills) twice",
    ),
    # legal and compliance complaints
    ("legal action", r"lawsuit|\bsue\b|\bsuing\b|legal action|attorney|lawyer|solicitor"),
    ("report to a regulator", r"report(?:ing)? (?:you|this|it|your \w+) to"),
    ("regulator", r"board of pharmacy|health department|data protection (?:regulator|authority)"),
    ("discrimination", r"discriminat\w*|racis[mt]\w*|harass\w*"),
    ("privacy breach", r"privacy (?:breach|violation)|data breach|hipaa violation|leaked my"),
    ("contamination", r"contaminated|tampered"),
)

_COMPILED = tuple((label, re.compile(rf"\b(?:{pat})", re.IGNORECASE)) for label, pat in _LEXICON)


def safety_terms(text: str) -> list[str]:
    """The lexicon entries found in the text (labels, in lexicon order, each once)."""
    normalised = text.replace("\u2019", "'")
    return [label for label, pattern in _COMPILED if pattern.search(normalised)]


@dataclass(frozen=True, slots=True)
class SafetyHead:
    """Binary logistic regression on the message embedding: p(safety) = sigmoid(x.w + b)."""

    weights: NDArray[np.float32]  # (dim,)
    bias: float
    threshold: float

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
        """p(safety) per row of an (n, dim) matrix."""
        logits = embeddings.astype(np.float64) @ self.weights.astype(np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-logits))
