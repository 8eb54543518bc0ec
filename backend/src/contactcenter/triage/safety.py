"""The safety detector: a small high-precision lexicon plus a logistic head on the embedding.

The lexicon is written from domain knowledge (pharmacovigilance, crisis and complaint-handling
vocabulary), not from evaluation sentences. It catches phrases whose presence alone justifies
a person looking at the message; the head catches everything said in other words (reactions,
withdrawal, medication errors), helped by negation-aware reaction features and word n-grams.
Medication vocabulary alone is never in the lexicon."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

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
    (
        "lethal dose",
        r"(?:lethal|fatal|deadly|toxic) (?:dose|amount|quantity)"
        r"|how many (?:\w+ ){0,3}(?:would|will|does it take to|to) (?:kill|die\b|be fatal)",
    ),
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

# lexicon entries that describe a reaction: "no withdrawal symptoms" / "without any brain zaps"
# say the opposite, so a negated mention does not count
_NEGATABLE = frozenset({"adverse reaction", "withdrawal symptoms", "allergic reaction"})

_NEGATION = re.compile(
    r"\b(?:no|not|never|without|none|zero|nor|neither|free of|lack of|any|"
    r"(?:did|do|does|have|has|had|is|was|are|were|ca|could|wo|would)n'?t|cannot)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[.;:,!?]|\bbut\b|\bexcept\b|\bother than\b|\bapart from\b", re.I)


def _negated(text: str, start: int) -> bool:
    """A negation cue among the few words before position start, in the same clause."""
    prefix = _CLAUSE_BREAK.split(text[max(0, start - 40) : start])[-1]
    return bool(_NEGATION.search(prefix))


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def safety_terms(text: str) -> list[str]:
    """The lexicon entries found in the text (labels, in lexicon order, each once)."""
    normalised = _normalise(text)
    found = []
    for label, pattern in _COMPILED:
        matches = list(pattern.finditer(normalised))
        if label in _NEGATABLE:
            matches = [m for m in matches if not _negated(normalised, m.start())]
        if matches:
            found.append(label)
    return found


# Reaction evidence for the safety head, written from pharmacovigilance vocabulary (common
# adverse-drug-reaction terms, not evaluation sentences): one feature per symptom group that is
# mentioned without a negation in front of it, plus counts of negated mentions, causal /
# experiential cues ("gave me", "since starting", "I've had") and "no side effects"-type phrases.
_SYMPTOMS: tuple[str, ...] = (
    r"nause\w*|queas\w*|vomit\w*|throw(?:ing|s)? up|threw up|puk\w*",
    r"dizz\w*|light[- ]?headed\w*|vertigo|faint\w*|woozy",
    r"headaches?|migraines?",
    r"insomnia|(?:can'?t|couldn'?t|cannot|could not|unable to|trouble|hard to|difficulty) "
    r"(?:fall(?:ing)? )?(?:sleep\w*|stay(?:ing)? asleep)|sleepless\w*"
    r"|(?:vivid|weird|strange|bad) dreams|nightmares?",
    r"drows\w*|sleepy|sleepiness|sedat\w*|groggy|grogginess|zombie|drugged",
    r"fatigu\w*|exhaust\w*|tired\w*|letharg\w*|no energy|low energy|lack of energy"
    r"|lost (?:my )?energy|sluggish",
    r"weight gain|gain(?:ed|ing)? (?:\d+|a lot of|some|so much|weight|lbs?|pounds)"
    r"|put on (?:\d+|weight)|weight loss|lost (?:\d+ )?(?:lbs|pounds|weight)",
    r"sweat\w*|hot flash\w*|night sweats|flush\w*|chills",
    r"tremors?|trembl\w*|shak(?:y|ing|es|iness)|twitch\w*|jitter\w*|restless\w*|akathisia"
    r"|clench\w*|grind\w*",
    r"palpitat\w*|heart rac\w*|racing heart|heart (?:was |is )?pound\w*|tachycard\w*"
    r"|blood pressure|heart rate",
    r"rash\w*|hives|itch\w*|swell\w*|swollen|bruis\w*|bleed\w*|hair (?:loss|fall\w*)|acne",
    r"dry mouth|cotton ?mouth|thirst\w*|blurr\w*|vision",
    r"libido|sex drive|sexual\w*|orgasm\w*|anorgasm\w*|erecti\w*|impoten\w*|ejaculat\w*"
    r"|arous\w*",
    r"diarrh\w*|constipat\w*|stomach\w*|cramp\w*|bloat\w*|indigestion|heartburn|gas\b|appetite",
    r"withdraw\w*|brain zaps?|zaps?|electric shocks?|discontinu\w*",
    r"suicid\w*|self[- ]harm|(?:want(?:ed)?|wanting) to die",
    r"numb\w*|emotionless|flat|blunted|apath\w*|don'?t care|didn'?t care",
    r"anxi\w*|panic\w*|agitat\w*|irritab\w*|angry|anger|rage|aggress\w*|mood swings?"
    r"|paranoi\w*|hallucinat\w*|manic|mania",
    r"memory|concentrat\w*|focus\w*|confus\w*|foggy|fog|spac(?:ey|y|ed)",
    r"pains?|aches?|aching|achy|sore\w*|hurt\w*|stiff\w*|muscle\w*|joint\w*",
    r"yawn\w*|ringing|tinnitus|urinat\w*|pee\w*",
    r"sick|ill\b|awful|horribl\w*|terribl\w*",
    r"side[- ]?effects?|\bses?\b|adverse|reactions?|symptoms?",
)
_SYMPTOM_RES = tuple(re.compile(rf"\b(?:{p})", re.IGNORECASE) for p in _SYMPTOMS)
_CAUSAL = re.compile(
    r"\b(?:gave me|gives me|giving me|made me|makes me|making me|caus\w*"
    r"|since (?:starting|taking|i started|i began|being on)"
    r"|(?:i|i've|i'd|i'm) (?:get|got|gotten|have|had|has|having|experienc\w*|suffer\w*"
    r"|develop\w*|notic\w*|feel|felt|feeling|am|was|been|become|became)"
    r"|side[- ]?effects?|effects?|result\w*|led to|lead to|leads to|from (?:it|this|the)"
    r"|on (?:it|this)|started|began|when i (?:stopped|started|missed|came off|went off)"
    r"|after (?:taking|starting|stopping)|worse|increas\w*|decreas\w*|loss of|lost|extreme\w*"
    r"|severe\w*|terribl\w*|horribl\w*|bad|very|so)\b",
    re.IGNORECASE,
)
_NO_SIDE_EFFECTS = re.compile(
    r"\b(?:no|without|zero|none|never had any|didn'?t (?:have|get|notice|experience)"
    r"|haven'?t (?:had|noticed|experienced))(?:\s+\w+){0,3}\s+(?:side[- ]?effects?|ses?)\b",
    re.IGNORECASE,
)
N_REACTION_FEATURES = len(_SYMPTOMS) + 6

# Who is speaking and what they ask for. A safety report is personal: the writer (or someone
# they look after) took something and something happened ("since I started it my ...", "my son
# swallowed ..."). A request for general information has the form of a question about a topic
# ("what are the symptoms of X", "what causes X", "side effects of Y?") and no one in it.
_PERSONAL = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|our|we've|we're)\b", re.IGNORECASE
)
_QUESTION = re.compile(
    r"^\W*(?:what(?:'s)?|whats|which|who|why|how|where|is|are|can|could|does|do|should"
    r"|define|describe|explain|tell me about|list)\b|\?\s*$",
    re.IGNORECASE,
)
_TOPIC = re.compile(
    r"\b(?:symptoms?|signs?|causes?|treatments?|side[- ]?effects?|risks?|risk factors"
    r"|complications|outlook|prognosis|incubation|definition|meaning)\b",
    re.IGNORECASE,
)
_STATEMENT_END = re.compile(r"[.!]\W*$")
# an incident behind the question ("what happens if a child eats a whole pack", "a rash after
# the antibiotics, should ..."): the question may be a report in disguise, so it keeps the
# ordinary threshold
_INCIDENT = re.compile(
    r"\b(?:after|since|accident\w*|by mistake|too (?:many|much)|whole (?:pack|packet|bottle|box"
    r"|strip|tube)|took|taken|taking|ate|eaten|eats|swallow\w*|drank|drunk|overdos\w*|double"
    r"|twice|missed|mixed|die|dying|dead|danger\w*|emergenc\w*|urgent\w*|right now"
    r"|\d+\s*(?:pills?|tablets?|capsules?|doses?|mg|ml))\b",
    re.IGNORECASE,
)
# an impersonal question needs the head to be at least this sure (see SafetyHead)
INFORMATION_REQUEST_THRESHOLD = 0.5


def information_request(text: str) -> bool:
    """A question about a topic with no one in it ("what causes gout?", "side effects of
    metformin?", "flu symptoms in adults"): no first-person or possessive word ("I", "my",
    "our"), no sign of an incident behind it (an intake, an accident, "after ..."), not a
    statement (no closing full stop), and either a question form or a short search-style topic
    phrase."""
    t = _normalise(text).strip()
    if _PERSONAL.search(t) or _STATEMENT_END.search(t) or _INCIDENT.search(t):
        return False
    return bool(_QUESTION.search(t)) or (len(t.split()) <= 8 and bool(_TOPIC.search(t)))


def reaction_features(text: str) -> NDArray[np.float64]:
    """The reaction-evidence vector (N_REACTION_FEATURES values in [0, 1])."""
    t = _normalise(text)
    groups = np.zeros(len(_SYMPTOMS))
    positive = negated = 0
    for i, pattern in enumerate(_SYMPTOM_RES):
        for m in pattern.finditer(t):
            if _negated(t, m.start()):
                negated += 1
            else:
                groups[i] = 1.0
                positive += 1
    causal = len(_CAUSAL.findall(t))
    extra = [
        min(positive, 4) / 4,
        min(negated, 3) / 3,
        float(positive > 0),
        min(causal, 4) / 4,
        1.0 if _NO_SIDE_EFFECTS.search(t) else 0.0,
        float(positive > 0) * min(causal, 2) / 2,
    ]
    return np.concatenate([groups, np.array(extra)])


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """Lower-cased words and word bigrams (the TF-IDF features)."""
    words = _TOKEN.findall(_normalise(text).lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


@dataclass(frozen=True, slots=True)
class TfIdf:
    """Sublinear TF-IDF over word 1-2-grams, L2-normalised (numpy only)."""

    vocabulary: dict[str, int]
    idf: NDArray[np.float64]

    def sparse(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The non-zero (column, value) pairs of one text's row."""
        pairs = [
            (j, 1.0 + math.log(count))
            for term, count in Counter(tokens(text)).items()
            if (j := self.vocabulary.get(term)) is not None
        ]
        if not pairs:
            return np.zeros(0, np.int64), np.zeros(0)
        cols = np.array([j for j, _ in pairs], np.int64)
        values = np.array([v for _, v in pairs]) * self.idf[cols]
        return cols, values / np.linalg.norm(values)

    def transform(self, texts: Sequence[str]) -> NDArray[np.float64]:
        out = np.zeros((len(texts), len(self.vocabulary)))
        for row, text in enumerate(texts):
            cols, values = self.sparse(text)
            out[row, cols] = values
        return out

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 2, max_features: int = 5000) -> TfIdf:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(tokens(text)))
        kept = sorted(
            ((c, term) for term, c in df.items() if c >= min_df), key=lambda ct: (-ct[0], ct[1])
        )[:max_features]
        n = len(texts)
        idf = np.array([np.log((1 + n) / (1 + c)) + 1.0 for c, _ in kept])
        return cls({term: j for j, (_, term) in enumerate(kept)}, idf)


@dataclass(frozen=True, slots=True)
class SafetyHead:
    """Binary logistic regression p(safety) = sigmoid(f.w + b) on the features
    f = [message embedding, reaction_features * feature_scale, TF-IDF] (the last two are
    absent for weights sized to the embedding alone).

    The head fires at threshold, or at info_threshold (if higher) for an impersonal
    information request: patients' reports rank high on reaction words alone, and so does
    "what are the symptoms of X?", which asks for facts and reports nothing."""

    weights: NDArray[np.float32]  # (dim [+ N_REACTION_FEATURES + vocabulary],)
    bias: float
    threshold: float
    tfidf: TfIdf | None = None
    feature_scale: float = 1.0
    info_threshold: float = INFORMATION_REQUEST_THRESHOLD

    def threshold_for(self, text: str) -> float:
        """The head threshold that applies to this message."""
        if information_request(text):
            return max(self.threshold, self.info_threshold)
        return self.threshold

    @property
    def extra_features(self) -> int:
        """How many features follow the embedding."""
        return 0 if self.tfidf is None else N_REACTION_FEATURES + len(self.tfidf.vocabulary)

    def features(
        self, embeddings: NDArray[np.float32], texts: Sequence[str]
    ) -> NDArray[np.float64]:
        parts = [embeddings.astype(np.float64)]
        if self.tfidf is not None:
            parts.append(np.array([reaction_features(t) for t in texts]) * self.feature_scale)
            parts.append(self.tfidf.transform(texts))
        return np.hstack(parts)

    def probabilities(
        self, embeddings: NDArray[np.float32], texts: Sequence[str]
    ) -> NDArray[np.float64]:
        """p(safety) per row of an (n, dim) matrix and its n texts."""
        w = self.weights.astype(np.float64)
        dim = embeddings.shape[1]
        logits = embeddings.astype(np.float64) @ w[:dim] + self.bias
        if self.tfidf is not None:  # the same sum as features() @ w, without the dense rows
            w_reaction, w_terms = w[dim : dim + N_REACTION_FEATURES], w[dim + N_REACTION_FEATURES :]
            for row, text in enumerate(texts):
                cols, values = self.tfidf.sparse(text)
                logits[row] += self.feature_scale * float(reaction_features(text) @ w_reaction)
                logits[row] += float(values @ w_terms[cols])
        return 1.0 / (1.0 + np.exp(-logits))
