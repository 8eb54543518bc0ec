"""Prompt-injection detection for customer messages and ingested documents.

Two signals, either one flags a text:

- patterns: well-known techniques (override the instructions, reveal the system prompt, role-play
  jailbreaks, fake role tags, other customers' data, encoded payloads...), each with a name that
  goes into the log;
- a logistic-regression head on the embedder's vectors, trained by `guardrails.train` on our own
  written examples and the DEV set. MiniLM reads 128 word pieces, so long texts are read as a few
  windows of WINDOW_WORDS words (first, last and evenly spaced between, at most `max_windows`)
  and the highest window score counts.

Run time needs numpy and the embedder only; the weights live in `guardrails/data/`.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from contactcenter.embeddings.base import Embedder, Passage

__all__ = [
    "BEGIN_DATA",
    "END_DATA",
    "InjectionDetector",
    "InjectionModelMismatch",
    "InjectionResult",
    "match_patterns",
    "neutralise",
    "windows",
]

WEIGHTS_FILE = "injection.npz"
META_FILE = "injection.json"
WINDOW_WORDS = 100
MAX_WINDOWS = 4
PATTERN_SCORE = 0.95  # the score reported when a pattern matched (at least)

# The delimiters our prompts put around untrusted text; neutralise() removes look-alikes.
BEGIN_DATA = "<<<DATA>>>"
END_DATA = "<<<END DATA>>>"


class InjectionModelMismatch(Exception):
    """The shipped weights were trained on another embedder's vectors (or are missing)."""


@dataclass(frozen=True)
class InjectionResult:
    is_injection: bool
    score: float  # 0..1: the classifier's probability, at least PATTERN_SCORE on a pattern hit
    reasons: list[str] = field(default_factory=list)


# --- patterns ----------------------------------------------------------------------------------

_F = re.IGNORECASE
_OVERRIDE_VERB = r"(?:ignore|disregard|forget|skip|override|bypass|discard|abandon|drop|neglect)"
_PRIOR = (
    r"(?:previous|prior|above|earlier|preceding|foregoing|initial|original|system|your|all"
    r"|any|these|those|the\s+(?:above|previous|prior|earlier))"
)
_RULES = (
    r"(?:instructions?|rules|prompts?|directions|guidelines|directives?|commands"
    r"|constraints|programming|restrictions|guardrails|training|context|guidance|task)"
)
_NO_LIMITS = (
    r"(?:no|without(?:\s+any)?|free\s+(?:of|from)|not\s+bound\s+by|zero|removed?\s+(?:all|your))"
    r"\s+(?:\w+\s+){0,2}(?:restrictions|rules|limits|limitations|filters?|guidelines|polic(?:y|ies)"
    r"|ethics|morals|censorship|safety|boundaries|constraints)"
)
_REVEAL = (
    r"(?:reveal|print|show|repeat|display|output|dump|quote|disclose|leak|recite|spell|share"
    r"|tell|give|list|write|type|copy|reproduce|translate|summari[sz]e|paste|export)"
)
_PERSONA_VERB = (
    r"(?:act|acting|behave|respond|answer|pretend|role-?play|play\s+the\s+role|simulate|become"
    r"|persona|character|you\s+are\s+now|you\s+will\s+be|switch\s+to|enter|enable|activate)"
)
_JAILBREAK_NOUN = (
    r"(?:\bDAN\b|do\s+anything\s+now|jailbr(?:oken|eak)|developer\s+mode|dev\s+mode|god\s+mode"
    r"|unrestricted|unfiltered|uncensored|unlimited|amoral|unethical|evil|no\s+longer\s+bound"
    r"|maintenance\s+mode|admin(?:istrator)?\s+mode|debug\s+mode|root\s+access|sudo\s+mode"
    r"|can\s+(?:do|perform|say)\s+any(?:thing)?\b|never\s+refuses?|" + _NO_LIMITS + ")"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ignore previous instructions",
        re.compile(
            rf"\b{_OVERRIDE_VERB}\b[^.\n]{{0,40}}?\b{_PRIOR}\b[^.\n]{{0,30}}?\b{_RULES}\b", _F
        ),
    ),
    (
        "instructions no longer apply",
        re.compile(
            rf"\b{_RULES}\s+(?:(?:are|is)\s+)?(?:now\s+)?(?:cancel+ed|void|suspended|lifted|disabled"
            rf"|overridden|replaced|no\s+longer\s+(?:apply|valid|in\s+effect))",
            _F,
        ),
    ),
    (
        "new instructions",
        re.compile(
            r"\b(?:new|updated|revised|real|actual|true|admin|developer|system)\s+"
            r"(?:system\s+)?(?:instructions?|directives?|system\s+prompt|task|policy|rules)\s*"
            r"(?::[^.\n]{0,60}?\b(?:you|your|ignore|disregard|forget|reveal|print|output|say"
            r"|respond|reply|assistant|ai|approve|grant)\b|(?:that\s+)?(?:replaces?|overrides?"
            r"|supersedes?)|(?:from|for)\s+the\s+(?:developer|admin|assistant|ai|model))",
            _F,
        ),
    ),
    (
        "supersedes instructions",
        re.compile(
            r"\b(?:supersedes?|overrides?|replaces?|takes?\s+priority\s+over|take\s+precedence"
            r"\s+over)\s+(?:all\s+|any\s+)?(?:your|the|previous|prior|other|earlier|everything)"
            r"\b[^.\n]{0,30}?(?:instructions?|rules|prompt|you\s+have\s+been\s+told"
            r"|you\s+were\s+(?:given|told))",
            _F,
        ),
    ),
    (
        "ignore the above",
        re.compile(
            r"\b(?:ignore|disregard)\s+(?:all\s+(?:of\s+)?)?(?:the\s+|that\s+)?(?:above|foregoing)"
            r"\s*(?:and|,|\.)\s*(?:instead\s+|just\s+)?(?:say|print|output|write|respond|reply"
            r"|answer|tell|translate|repeat)\b|\b(?:forget|ignore|disregard)\s+(?:everything|all"
            r"|anything)\s+(?:you\s+(?:were|have\s+been|got)\s+(?:told|taught|instructed|given)"
            r"|(?:above|before|previously|so\s+far)\b)|\bstop\s+everything\b",
            _F,
        ),
    ),
    (
        "do not follow your rules",
        re.compile(
            r"\b(?:do\s+not|don't|stop|no\s+longer)\s+(?:follow(?:ing)?|obey(?:ing)?|listen(?:ing)?"
            r"\s+to)\s+(?:the\s+|your\s+)?(?:company(?:'s)?\s+|previous\s+|original\s+|system\s+)?"
            r"(?:polic(?:y|ies)|rules|instructions|guidelines|prompt|programming)\b"
            r"|\b(?:never|must\s+not|cannot|can't|do\s+not|don't|will\s+not|won't)\s+refuse\b"
            r"|\byou\s+(?:are\s+allowed|can|may|are\s+free)\s+to\s+(?:say|do|answer)\s+anything\b",
            _F,
        ),
    ),
    (
        "identity switch",
        re.compile(
            r"\byou\s+are\s+no\s+longer\s+(?:an?\s+|the\s+|bound|restricted|limited)"
            r"|\bforget\s+(?:that\s+)?you\s+(?:are|were)\s+(?:an?\s+)?(?:ai|assistant|bot|support"
            r"|chatbot|language\s+model)|\byour\s+new\s+(?:role|identity|persona|name)\s*(?:is|:)"
            r"|\b(?:immerse\s+yourself|take\s+(?:on|up)\s+the\s+(?:role|persona)|assume\s+the"
            r"\s+(?:role|persona|identity))\b|\brole\s+of\s+(?:another|an?)\s+(?:ai|model"
            r"|chatbot|assistant)\b|\b(?:admin(?:istrator)?|system|developer|root)\s+override\b",
            _F,
        ),
    ),
    (
        "role-play jailbreak",
        re.compile(rf"\b{_PERSONA_VERB}\b[^.\n]{{0,80}}?{_JAILBREAK_NOUN}", _F),
    ),
    (
        "jailbreak persona",
        re.compile(
            r"(?:\bDAN\b|\bSTAN\b|do\s+anything\s+now|jailbreak(?:\s+mode|\s+prompt|\s+successful)"
            r"|jailbroken\s+(?:ai|model|assistant|mode)|developer\s+mode\s+(?:enabled|output|on)"
            r"|enable\s+developer\s+mode|god\s+mode|stay\s+in\s+character)"
        ),
    ),
    (
        "no restrictions",
        re.compile(
            rf"\b(?:you|ai|assistant|model|bot|chatbot|version|mode|answer|respond|reply)\b"
            rf"[^.\n]{{0,50}}?\b{_NO_LIMITS}\b",
            _F,
        ),
    ),
    (
        "hypothetical without rules",
        re.compile(
            rf"\b(?:hypothetical(?:ly)?|imagine|pretend|suppose|fiction(?:al)?|story|screenplay"
            rf"|in\s+a\s+world)\b[^\n]{{0,100}}?(?:{_NO_LIMITS}|(?:usual|normal)\s+rules"
            rf"\s+(?:do\s+not|don't)\s+apply|none\s+of\s+your\s+(?:usual\s+)?rules)",
            _F,
        ),
    ),
    (
        "safety bypass",
        re.compile(
            r"\b(?:bypass|disable|turn\s+off|switch\s+off|suspend|deactivate|circumvent|remove)"
            r"\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your|the|its|my)?\s*(?:content\s+(?:polic(?:y|ies)"
            r"|filters?|moderation)|safety(?:\s+(?:filters?|rules|guidelines|polic(?:y|ies)|training"
            r"|checks?))?|guardrails|moderation|ethical\s+guidelines)|\b(?:bypass|disable|turn\s+off"
            r"|switch\s+off|suspend|deactivate|circumvent|remove|ignore)\s+(?:all\s+(?:of\s+)?)?"
            r"(?:your|its)\s+(?:own\s+)?(?:filters?|restrictions|limitations|logging|rules"
            r"|programming)"
            r"|\b(?:skip|bypass)\s+(?:the\s+)?(?:identity|security|verification|id)\s+"
            r"(?:checks?|verification)",
            _F,
        ),
    ),
    (
        "system prompt",
        re.compile(
            r"\b(?:system|initial|original|hidden|secret|internal|confidential|pre-?)\s*"
            r"(?:prompt|instructions|directives)\b|\b(?:your|the\s+bot's|the\s+ai's)\s+"
            r"(?:hidden\s+|secret\s+|initial\s+|original\s+)?(?:prompt|system\s+message)\b"
            r"|\bsystem_?prompt\b|\bsystemPrompt\b|\bpre-?prompt\b|\binitiali[sz]ation\s+string\b"
            r"|\b(?:starting|beginning|first)\s+(?:prompt|instructions)\b|\b(?:your|the\s+"
            r"assistant's)\s+(?:full\s+|complete\s+)?system\s+message\b|\b(?:text|instructions"
            r"|prompt|words)\s+you\s+were\s+given\s+(?:initially|at\s+the\s+start|before|first)",
            _F,
        ),
    ),
    (
        "reveal instructions",
        re.compile(
            rf"\b{_REVEAL}\b[^.\n]{{0,40}}?\b(?:your|the|all\s+(?:of\s+)?(?:your|the))\s+"
            rf"(?:\w+\s+){{0,2}}(?:instructions|rules|guidelines|configuration|directives)\b"
            rf"[^.\n]{{0,40}}?\b(?:you\s+(?:were|have\s+been|got)|given|verbatim|word\s+for\s+word"
            rf"|exactly|in\s+full|hidden|secret|operate\s+under|from\s+(?:the\s+)?system"
            rf"|from\s+your\s+(?:developers?|operators?|creators?))",
            _F,
        ),
    ),
    (
        "repeat the text above",
        re.compile(
            r"\b(?:repeat|print|output|show|display|quote|copy|reproduce|recite|write)\b[^.\n]"
            r"{0,40}?\b(?:text|everything|words|content|all|messages?|lines?)\s+(?:written\s+)?"
            r"(?:above|before\s+(?:my|this|the\s+user's)\s+(?:first\s+)?(?:message|question)"
            r"|that\s+(?:came|comes)\s+before)|\b(?:repeat|print|output|show|display|quote|copy"
            r"|reproduce|recite)\s+(?:back\s+)?(?:the\s+)?(?:above|preceding)\s+(?:text|content"
            r"|words|instructions|prompt)|\brepeat\s+(?:back\s+)?(?:this|the)\s+(?:entire\s+|whole\s+)?"
            r"conversation\b",
            _F,
        ),
    ),
    (
        "what were you told",
        re.compile(
            r"\bwhat\s+(?:were|are|have)\s+you\s+(?:been\s+)?(?:told|instructed|programmed)\b"
            r"|\b(?:first|second|last)\s+(?:line|sentence|word)s?\s+of\s+your\s+"
            r"(?:prompt|instructions)|\bmy\s+secret\s+instructions\b|\bwhat\s+(?:are|were)\s+"
            r"you\s+(?:not\s+(?:supposed|allowed|permitted)\s+to|told\s+not\s+to)\s+(?:tell|say"
            r"|share|reveal|discuss|talk)|\b(?:complete|continue|finish|start|begin)\b[^\n]{0,30}?"
            r"[\"'“](?:i\s+was\s+(?:instructed|told)|my\s+(?:instructions|rules|prompt)"
            r"|you\s+are\b)",
            _F,
        ),
    ),
    (
        "other customers' data",
        re.compile(
            r"\b(?:other|another|previous|last|the\s+other)\s+(?:customer|user|patient|client"
            r"|person|caller|account\s+holder)(?:'s|s')\s+(?:\w+\s+){0,2}"
            r"(?:data|details|records?|information|info|e-?mails?|address(?:es)?|phone\s+numbers?"
            r"|names?|messages|conversations|chats?|histor(?:y|ies)|prescriptions?|medications?"
            r"|card\s+numbers?|passwords?|balances?|orders?|accounts?)\b|\b(?:data|details|records"
            r"|information|e-?mails|addresses|phone\s+numbers|names|messages|conversations"
            r"|histor(?:y|ies)|prescriptions|card\s+numbers|passwords|balances)\s+of\s+(?:all\s+)?"
            r"(?:the\s+)?(?:other|another|all|every)\s+(?:customers?|users?|patients?|clients?"
            r"|people)\b|\b(?:give|show|tell|list|export|dump|send"
            r"|reveal|share|print|paste)\b[^.\n]{0,50}?\b(?:all|every|other)\s+(?:customers?|users?"
            r"|patients?|clients?)\b|\b(?:previous|last|prior|other|another)\s+(?:customer|user"
            r"|caller|patient|client)\b[^.\n]{0,40}?\b(?:sent|said|wrote|told|asked|typed)\b"
            r"|\b(?:customer|user|person|caller)s?\s+(?:who|that)\s+(?:contacted|messaged"
            r"|chatted\s+with|talked\s+to|wrote\s+to)\s+you\b",
            _F,
        ),
    ),
    (
        "data export",
        re.compile(
            r"\b(?:export|dump|paste|print|list)\b[^.\n]{0,30}?\b(?:the\s+)?(?:customer|user"
            r"|patient|order|client)s?\s+(?:table|database|records|list|db)\b|\bdump\s+(?:your|the)"
            r"\s+(?:memory|database|db)\b",
            _F,
        ),
    ),
    (
        "internal tools or secrets",
        re.compile(
            rf"\b{_REVEAL}\b[^.\n]{{0,40}}?\b(?:api\s+keys?|credentials|secrets|environment"
            rf"\s+variables|tool\s+schemas?|json\s+schemas?|internal\s+(?:apis?|tools|notes"
            rf"|documents?|pricing|codes?)|staff\s+(?:comments|notes)|(?:tools|functions|apis?"
            rf"|plugins)\s+(?:you\s+)?(?:can\s+call|have\s+access|you\s+have|available)"
            rf"|internal[- ]only|marked\s+(?:internal|confidential))",
            _F,
        ),
    ),
    (
        "tool call request",
        re.compile(
            r"\b(?:call|invoke|run|execute|trigger|use)\s+(?:the\s+)?(?:function|tool)\s+\w+"
            r"|\b(?:call|invoke|run|execute|trigger)\s+(?:the\s+)?\w+\s+(?:tool|function)\b"
            r"|\b[a-z]+_[a-z_]+\s*\(\s*\w+\s*=|\b(?:tools|functions|apis?|plugins)\s+(?:that\s+)?"
            r"(?:do\s+)?you\s+(?:can\s+call|have\s+access\s+to|are\s+able\s+to\s+call)",
            _F,
        ),
    ),
    (
        "fake role tag",
        re.compile(
            r"<\|\s*(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id"
            r"|start_header_id|end_header_id)\s*\|>|\[/?INST\]|<</?SYS>>|</?(?:system|assistant"
            r"|developer)\s*>|^\s*#{2,}\s*(?:instruction|system|response|new\s+instructions?)\b"
            r"|^\s*(?:system|developer)\s*(?:override|message|prompt)?\s*:|\"role\"\s*:\s*"
            r"\"(?:system|developer)\"|\[system\]\s*\(#|^\s*\[\s*(?:admin|system|developer)"
            r"\s+mode\b|^\s*sudo\s|<!--[^>]{0,300}?\b(?:assistant|ai|chatbot|llm|ignore"
            r"|instructions?|system)\b",
            _F | re.MULTILINE,
        ),
    ),
    (
        "message boundary forgery",
        re.compile(
            r"\b(?:end\s+of\s+(?:the\s+)?(?:user|customer)\s+(?:input|message|text)"
            r"|begin(?:ning)?\s+(?:of\s+)?(?:admin|system|developer)\s+(?:instructions?|message|mode)"
            r"|(?:admin|system|developer)\s+instructions?\s*:)",
            _F,
        ),
    ),
    (
        "addressed to the AI",
        re.compile(
            r"\b(?:note|message|attention|instructions?|hidden\s+text)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?"
            r"(?:ai|assistant|chatbot|bot|language\s+models?|llms?|ai\s+(?:agents?|assistants?|models?))\b"
            r"|\bif\s+you\s+are\s+an?\s+(?:ai|language\s+model|llm|assistant|chatbot|bot)\b"
            r"|\b(?:ai|llm|language\s+model)s?\s+(?:agents?\s+)?(?:reading|processing|summari[sz]ing)"
            r"\s+this\b|\battention\s+ai\b|\bto\s+the\s+(?:chatbot|ai|assistant)\s*:",
            _F,
        ),
    ),
    (
        "encoded payload",
        re.compile(
            r"\b(?:decode|base64|rot-?13|hex(?:adecimal)?|backwards|reversed?|morse)\b[^\n]{0,80}?"
            r"\b(?:follow|obey|execute|do\s+what|run|act\s+on|comply)\b|\b(?:follow|obey|execute)"
            r"\b[^\n]{0,40}?\b(?:base64|rot-?13|decoded)\b|\bfirst\s+letters?\s+of\s+each\s+"
            r"(?:line|word|sentence)\s+spell",
            _F,
        ),
    ),
    (
        "authority claim",
        re.compile(
            r"\b(?:i\s+am|i'm|this\s+is)\s+(?:an?\s+|the\s+|your\s+)?(?:openai|anthropic|google"
            r"|system\s+admin(?:istrator)?|developer|admin(?:istrator)?|creator|red[- ]team)\b"
            r"[^.\n]{0,80}?\b(?:authori[sz]e|permit|allow|approved?|audit|bypass|override"
            r"|debug\w*|troubleshoot\w*)\b[^.\n]{0,60}?\b(?:reveal|bypass|ignore|override|show"
            r"|display|disclose|grant|prompt|policy|polic(?:y|ies)|confidential)",
            _F,
        ),
    ),
    (
        "multilingual override",
        re.compile(
            r"\b(?:ignora|ignore[mz]?|ignoriere|vergiss|oublie[zs]?|olvida|dimentica)\b[^.\n]{0,40}?"
            r"\b(?:instrucciones|instruções|instrucoes|anweisungen|instructions|istruzioni"
            r"|regeln|reglas|règles|regole)\b",
            _F,
        ),
    ),
)


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def match_patterns(text: str) -> list[str]:
    """Names of the injection techniques found in `text` (empty when none)."""
    normal = unicodedata.normalize("NFKC", _strip_invisible(text)).translate(_QUOTES)
    return [name for name, pattern in _PATTERNS if pattern.search(normal)]


# --- windows -----------------------------------------------------------------------------------


def windows(text: str, *, size: int = WINDOW_WORDS, max_windows: int = MAX_WINDOWS) -> list[str]:
    """What the classifier reads: the text itself when it has at most `size` words, else up to
    `max_windows` windows of `size` words: the first, the last, and evenly spaced between."""
    words = text.split()
    if len(words) <= size:
        return [" ".join(words)]
    count = min(max_windows, math.ceil(len(words) / size))
    last = len(words) - size
    starts = sorted({round(i * last / (count - 1)) for i in range(count)})
    return [" ".join(words[s : s + size]) for s in starts]


# --- neutralise --------------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")
_SPECIAL_TOKEN = re.compile(r"<\|[^|<>\n]{1,40}\|>")
_INST_TAG = re.compile(r"\[/?INST\]|<</?SYS>>", _F)
_ROLE_XML = re.compile(r"</?\s*(?:system|user|assistant|developer|tool|im_start|im_end)\s*>", _F)
_OUR_DELIMITER = re.compile(r"<{3,}[^<>\n]{0,40}>{3,}|<{3,}|>{3,}")
_ROLE_LINE = re.compile(
    r"^([ \t]*)#{1,6}[ \t]*((?:system|assistant|user|developer|instruction|instructions"
    r"|response|input)\b)",
    _F | re.MULTILINE,
)
_ROLE_LABEL = re.compile(r"^([ \t]*)(system|assistant|developer)([ \t]*):", _F | re.MULTILINE)


def _strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def neutralise(text: str) -> str:
    """`text` made safe to place between BEGIN_DATA and END_DATA in a prompt.

    Removes chat-template tokens (<|im_start|>, [INST], <<SYS>>, <system>...), look-alikes of
    our delimiters (runs of three or more angle brackets), invisible and bidi characters; turns
    runs of control characters into one space; "### System" headings lose their hashes and a
    line starting "System:" / "Assistant:" / "Developer:" becomes "(System):". Ordinary text
    (letters, punctuation, newlines, tabs, emoji) is returned unchanged."""
    out = _strip_invisible(text).replace("\r\n", "\n")
    out = _CONTROL.sub(" ", out)
    out = _SPECIAL_TOKEN.sub("", out)
    out = _INST_TAG.sub("", out)
    out = _ROLE_XML.sub("", out)
    out = _OUR_DELIMITER.sub("", out)
    out = _ROLE_LINE.sub(r"\1\2", out)
    out = _ROLE_LABEL.sub(r"\1(\2)\3:", out)
    return out


# --- the detector ------------------------------------------------------------------------------


def _data_dir() -> Traversable:
    return resources.files("contactcenter.guardrails") / "data"


@dataclass(frozen=True)
class _Head:
    coef: np.ndarray[Any, np.dtype[np.float32]]
    intercept: float
    threshold: float
    window_words: int
    max_windows: int


class InjectionDetector:
    """Patterns plus the embedding classifier. Thread-safe; `detect` is synchronous (CPU)."""

    def __init__(self, embedder: Embedder, head: _Head) -> None:
        self._embedder = embedder
        self._head = head

    @property
    def threshold(self) -> float:
        return self._head.threshold

    @classmethod
    def load(cls, embedder: Embedder, *, data_dir: Path | None = None) -> InjectionDetector:
        """The detector with the shipped weights (or those in `data_dir`). Raises
        InjectionModelMismatch when they were trained for another embedder."""
        folder: Traversable = data_dir if data_dir is not None else _data_dir()
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
            with (folder / WEIGHTS_FILE).open("rb") as fh:
                arrays = np.load(fh)
                coef = np.asarray(arrays["coef"], dtype=np.float32).reshape(-1)
                intercept = float(np.asarray(arrays["intercept"]).reshape(-1)[0])
        except (OSError, ValueError, KeyError) as exc:
            raise InjectionModelMismatch(f"injection weights unreadable: {exc}") from exc
        info = embedder.info
        if meta.get("embedder_model_id") != info.model_id or coef.shape != (info.dim,):
            raise InjectionModelMismatch(
                f"injection weights were trained for {meta.get('embedder_model_id')!r} "
                f"({coef.shape[0]}-d), not {info.model_id!r} ({info.dim}-d): retrain with "
                "`python -m contactcenter.guardrails.train`"
            )
        head = _Head(
            coef=coef,
            intercept=intercept,
            threshold=float(meta["threshold"]),
            window_words=int(meta.get("window_words", WINDOW_WORDS)),
            max_windows=int(meta.get("max_windows", MAX_WINDOWS)),
        )
        return cls(embedder, head)

    def classifier_score(self, text: str) -> float:
        """The classifier's probability that `text` is an injection (max over its windows)."""
        parts = windows(text, size=self._head.window_words, max_windows=self._head.max_windows)
        if len(parts) == 1:
            vectors = self._embedder.embed_query(parts[0]).reshape(1, -1)
        else:
            vectors = self._embedder.embed_passages([Passage("", p) for p in parts])
        logit = float(np.max(vectors @ self._head.coef)) + self._head.intercept
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def detect(self, text: str) -> InjectionResult:
        if not text.strip():
            return InjectionResult(is_injection=False, score=0.0, reasons=[])
        reasons = [f"pattern: {name}" for name in match_patterns(text)]
        prob = self.classifier_score(text)
        if prob >= self._head.threshold:
            reasons.append(f"classifier {prob:.2f} >= {self._head.threshold:.2f}")
        score = max(prob, PATTERN_SCORE) if any(r.startswith("pattern") for r in reasons) else prob
        return InjectionResult(is_injection=bool(reasons), score=score, reasons=reasons)
