"""Service-action intents in a customer message: which action, with which details.

`extract` scores cue phrases per intent (word boundaries, any case). Each cue has a weight: a
phrase that names the action ("cancel my order") counts more than a lone word ("cancel"). The
highest total wins; ties go to the intent earlier in `PRIORITY` (the more specific action);
no cue at all gives `Intent.other` with confidence 0. Fields are the first match of each kind,
kept as the customer wrote them (dates are not normalised: 12/03 reads both ways).

This is a cheap, explainable first pass for ticket creation, not a classifier: negations
("I don't want a refund") and messages with several requests are read naively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "PRIORITY",
    "Intent",
    "ServiceRequest",
    "extract",
    "extract_fields",
    "next_steps",
]


class Intent(StrEnum):
    order_status = "order_status"
    refund = "refund"
    cancel_order = "cancel_order"
    address_change = "address_change"
    account_change = "account_change"
    prescription_refill = "prescription_refill"
    delivery_problem = "delivery_problem"
    appointment = "appointment"
    complaint = "complaint"
    other = "other"


#: tie-break order: the more specific action first, a general complaint last
PRIORITY: tuple[Intent, ...] = (
    Intent.prescription_refill,
    Intent.appointment,
    Intent.cancel_order,
    Intent.refund,
    Intent.address_change,
    Intent.account_change,
    Intent.delivery_problem,
    Intent.order_status,
    Intent.complaint,
    Intent.other,
)


@dataclass(frozen=True)
class ServiceRequest:
    intent: Intent
    fields: dict[str, str]
    confidence: float
    matched: list[str]  # labels of the winning intent's cues that fired


@dataclass(frozen=True)
class _Cue:
    label: str
    pattern: re.Pattern[str]
    weight: int


def _cue(label: str, pattern: str | None = None, weight: int = 2) -> _Cue:
    """A cue; without a pattern the label itself is the phrase (spaces match any whitespace)."""
    source = pattern if pattern is not None else r"\s+".join(map(re.escape, label.split()))
    return _Cue(label, re.compile(rf"\b(?:{source})\b", re.IGNORECASE), weight)


_MY = r"(?:my|the|our|this|an?)\s+"
_ORDER = r"(?:order|parcel|package|delivery|shipment|item)s?"
_NOT = r"(?:hasn'?t|has\s+not|haven'?t|have\s+not|didn'?t|did\s+not|still\s+not|not)"

CUES: dict[Intent, tuple[_Cue, ...]] = {
    Intent.order_status: (
        _cue("where is my order", rf"where(?:'s|\s+is|\s+are)\s+{_MY}?{_ORDER}", 3),
        _cue("order status", rf"(?:order|delivery)\s+status|status\s+of\s+{_MY}?{_ORDER}", 3),
        _cue("track", r"track(?:ing)?", 2),
        _cue("hasn't arrived", rf"{_NOT}\s+(?:yet\s+)?(?:arrived|received|come|turned\s+up)", 2),
        _cue(
            "when will it arrive",
            r"when\s+(?:will|is|does|should)\s+(?:it|my\s+\w+|the\s+\w+)\s+"
            r"(?:arrive|be\s+(?:delivered|here|dispatched|shipped)|ship|come)",
            3,
        ),
        _cue(
            "has it shipped",
            rf"(?:has|is)\s+{_MY}?{_ORDER}\s+(?:been\s+)?(?:shipped|dispatched|ready)",
            3,
        ),
    ),
    Intent.refund: (
        _cue("refund", r"refund(?:ed|s)?", 3),
        _cue("money back", r"(?:my\s+)?money\s+back", 3),
        _cue("reimburse", r"reimburse(?:d|ment)?", 3),
        _cue("charged twice", r"(?:charged|billed)\s+(?:me\s+)?twice|double[-\s]charged", 3),
        _cue("return", r"return\s+(?:it|this|them|the\s+\w+|my\s+\w+)", 1),
    ),
    Intent.cancel_order: (
        _cue("cancel my order", rf"cancel(?:l?ing|l?ed)?\s+{_MY}?(?:order|subscription)", 4),
        _cue("cancel", r"cancel(?:l?ing|l?ation|l?ed)?", 2),
        _cue(
            "no longer want",
            r"(?:no\s+longer|don'?t|do\s+not)\s+(?:want|need)\s+(?:it|the|this)",
            1,
        ),
        _cue("stop my order", rf"stop\s+{_MY}?(?:order|subscription|delivery)", 3),
    ),
    Intent.address_change: (
        _cue(
            "change my address",
            r"(?:change|update|correct|amend)\s+(?:my\s+|the\s+)?(?:delivery\s+|shipping\s+|home\s+)?"
            r"address",
            4,
        ),
        _cue("moved house", r"(?:moved|moving)\s+(?:house|home|flat|address|to\s+a\s+new)", 4),
        _cue("new address", r"(?:my\s+)?new\s+address", 3),
        _cue("different address", r"(?:different|another|other)\s+address", 2),
        _cue("wrong address", r"wrong\s+address", 1),
    ),
    Intent.account_change: (
        _cue(
            "update my email",
            r"(?:change|update|correct)\s+(?:my\s+)?(?:e-?mail(?:\s+address)?|phone\s+number|"
            r"mobile\s+number|contact\s+details|username|account\s+details|name\s+on)",
            4,
        ),
        _cue("reset password", r"(?:reset|change|forgot(?:ten)?)\s+(?:my\s+)?password", 4),
        _cue("can't log in", r"(?:can'?t|cannot|unable\s+to)\s+(?:log|sign)\s*in|locked\s+out", 3),
        _cue("close my account", r"(?:close|delete|deactivate)\s+(?:my\s+)?account", 4),
        _cue("account", r"account", 1),
    ),
    Intent.prescription_refill: (
        _cue("refill", r"refill(?:s|ed)?", 4),
        _cue("repeat prescription", r"repeat\s+(?:prescription|medication|order\s+of\s+my)", 4),
        _cue("renew prescription", r"renew(?:al)?\s+(?:of\s+)?(?:my\s+)?prescription", 4),
        _cue(
            "run out of medication",
            r"(?:run|running|ran)\s+(?:out|low)\s+(?:of|on)\s+(?:my\s+)?"
            r"(?:medication|medicine|meds|tablets|pills|inhaler|insulin)",
            3,
        ),
        _cue("prescription", r"prescription|rx", 1),
    ),
    Intent.delivery_problem: (
        _cue("never arrived", r"never\s+(?:arrived|came|received|turned\s+up)", 3),
        _cue("marked as delivered", r"(?:marked|shows?|says?)\s+(?:as\s+)?delivered", 3),
        _cue("damaged", r"damaged|broken|smashed|crushed|leaking|leaked", 3),
        _cue("wrong item", r"wrong\s+(?:item|product|order|medication|size|colou?r)", 3),
        _cue("missing item", r"missing(?:\s+(?:item|items|from))?", 2),
        _cue("lost parcel", rf"lost\s+{_MY}?{_ORDER}|{_MY}?{_ORDER}\s+(?:was|is|got)\s+lost", 3),
        _cue("delivered to the wrong address", r"delivered\s+to\s+(?:the\s+)?wrong", 3),
    ),
    Intent.appointment: (
        _cue(
            "book an appointment",
            r"(?:book|make|schedule|arrange|get)\s+(?:an?\s+|my\s+)?(?:appointment|consultation|"
            r"vaccination|jab|flu\s+shot)",
            4,
        ),
        _cue(
            "reschedule appointment",
            r"(?:reschedule|move|change|cancel)\s+(?:my\s+|the\s+)?(?:appointment|consultation|"
            r"booking)",
            5,
        ),
        _cue("appointment", r"appointments?|consultation", 2),
        _cue(
            "see a pharmacist",
            r"(?:see|speak\s+(?:to|with))\s+(?:a|the)\s+(?:pharmacist|doctor)",
            2,
        ),
        _cue("available slot", r"(?:available|free)\s+(?:slots?|times?)", 2),
    ),
    Intent.complaint: (
        _cue("complaint", r"complain(?:t|ts|ing|ed)?", 3),
        _cue(
            "speak to a manager",
            r"(?:speak|talk)\s+to\s+(?:a|your|the)\s+(?:manager|supervisor)",
            3,
        ),
        _cue(
            "unacceptable",
            r"unacceptable|disgraceful|appalling|terrible\s+service|worst|ridiculous",
            2,
        ),
        _cue("rude", r"rude|unhelpful", 2),
        _cue("not happy", r"(?:not|very\s+un)\s*happy|disappointed|fed\s+up", 1),
    ),
}


# --- fields -----------------------------------------------------------------------------------

_ID = r"[A-Z]{0,4}-?\d{4,12}"
_ORDER_NUMBER = re.compile(
    r"\border\s*(?:number|no\.?|num|id|ref(?:erence)?)?\s*(?:is\s+)?[:#]?\s*"
    rf"(?P<v>{_ID})\b",
    re.IGNORECASE,
)
_RX_TOKEN = re.compile(r"\bRX-?\d{4,12}\b", re.IGNORECASE)
_RX_NUMBER = re.compile(
    r"\b(?:prescription|rx)\s*(?:number|no\.?|num|id|ref(?:erence)?)?\s*(?:is\s+)?[:#]?\s*"
    rf"(?P<v>{_ID})\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}"
    r"|(?:1[ .-])?\(\d{3}\) ?\d{3}[ .-]\d{4}"
    r"|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"
    r"|\d{3} \d{3} \d{4}"
    r"|0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}"
    r")(?!\w)"
)
_POSTCODES = (
    re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b"),  # UK, in capitals
    re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])"),  # US ZIP+4
    # a plain 5-digit ZIP only when named as one: bare, it reads like an order number
    re.compile(
        r"\b(?:zip(?:\s*code)?|postcode|postal\s+code)\s*(?:is\s+)?:?\s*(?P<v>\d{5})\b",
        re.IGNORECASE,
    ),
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?)\b"
)
_AMOUNT = re.compile(
    r"(?:[$£€]\s?\d+(?:[.,]\d{1,2})?\b"
    r"|\b\d+(?:[.,]\d{1,2})?\s?(?:EUR|USD|GBP|euros?|dollars?|pounds?)\b)",
    re.IGNORECASE,
)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    return match.group("v") if "v" in pattern.groupindex else match.group(0)


def _order_number(text: str) -> str | None:
    number = _first(_ORDER_NUMBER, text)
    return number.upper() if number is not None else None


def _prescription_number(text: str) -> str | None:
    number = _first(_RX_TOKEN, text) or _first(_RX_NUMBER, text)
    return number.upper() if number is not None else None


def _postcode(text: str) -> str | None:
    return next((v for p in _POSTCODES if (v := _first(p, text)) is not None), None)


_FIELDS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("order_number", _order_number),
    ("prescription_number", _prescription_number),
    ("email", lambda t: _first(_EMAIL, t)),
    ("phone", lambda t: _first(_PHONE, t)),
    ("postcode", _postcode),
    ("date", lambda t: _first(_DATE, t)),
    ("amount", lambda t: _first(_AMOUNT, t)),
)


def extract_fields(text: str) -> dict[str, str]:
    """The first value of each field kind found in the text; absent kinds are left out."""
    found: dict[str, str] = {}
    for name, read in _FIELDS:
        value = read(text)
        if value:
            found[name] = value.strip()
    return found


def extract(text: str) -> ServiceRequest:
    scores: dict[Intent, int] = {}
    fired: dict[Intent, list[str]] = {}
    for intent, cues in CUES.items():
        for cue in cues:
            if cue.pattern.search(text):
                scores[intent] = scores.get(intent, 0) + cue.weight
                fired.setdefault(intent, []).append(cue.label)
    fields = extract_fields(text)
    if not scores:
        return ServiceRequest(Intent.other, fields, 0.0, [])
    ranked = sorted(scores, key=lambda i: (-scores[i], PRIORITY.index(i)))
    best = ranked[0]
    top = scores[best]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0
    # strong cues raise it, a close second lowers it
    confidence = min(0.95, 0.35 + 0.1 * top) * top / (top + runner_up)
    return ServiceRequest(best, fields, round(confidence, 2), fired[best])


# --- next steps -------------------------------------------------------------------------------

_ASK_ORDER = "Please reply with your order number so we can look it up."


def next_steps(intent: Intent, fields: dict[str, str]) -> list[str]:
    """Two or three short customer-facing sentences: what happens next and what is missing."""
    order = fields.get("order_number")
    steps: list[str]
    match intent:
        case Intent.order_status:
            steps = [
                f"We're checking the status of order {order}." if order else _ASK_ORDER,
                "We'll send you the latest tracking details as soon as we have them.",
            ]
        case Intent.refund:
            steps = [
                f"We've logged a refund request for order {order}." if order else _ASK_ORDER,
                "A member of our team will review it; approved refunds go back to the original "
                "payment method.",
            ]
            if "amount" not in fields:
                steps.append("If you can, tell us the amount you were charged.")
        case Intent.cancel_order:
            steps = [
                f"We've asked to cancel order {order}." if order else _ASK_ORDER,
                "If it has not been dispatched yet we can cancel it; otherwise we'll explain how "
                "to return it.",
            ]
        case Intent.address_change:
            steps = [
                "Please reply with the full new address, including the postcode."
                if "postcode" not in fields
                else "Thanks, we have your new postcode and will update the address.",
                "If this is for an order you've already placed, please include the order number."
                if not order
                else f"We'll check whether order {order} can still be redirected.",
                "For your security we may ask you to confirm your identity first.",
            ]
        case Intent.account_change:
            steps = [
                "For your security we'll confirm your identity before changing account details.",
                "Please reply with the email address on your account."
                if "email" not in fields
                else "We'll contact you at the email address on the account.",
                "We will never ask you for your password.",
            ]
        case Intent.prescription_refill:
            rx = fields.get("prescription_number")
            steps = [
                f"We've received your refill request for prescription {rx}."
                if rx
                else "Please reply with your prescription number (for example RX-12345).",
                "A pharmacist checks every refill before it is prepared.",
                "If you have already run out of a medicine you need, tell us so we can "
                "prioritise it.",
            ]
        case Intent.delivery_problem:
            steps = [
                f"We're looking into the delivery of order {order}." if order else _ASK_ORDER,
                "If an item arrived damaged or wrong, a photo helps us sort it out faster.",
                "We'll come back to you with a replacement or refund option.",
            ]
        case Intent.appointment:
            steps = [
                "Let us know which day and time suit you."
                if "date" not in fields
                else f"We'll check availability for {fields['date']}.",
                "We'll confirm the appointment by message.",
            ]
        case Intent.complaint:
            steps = [
                "We're sorry about your experience; a team lead will review it and reply "
                "personally.",
                "If it relates to an order, please include the order number."
                if not order
                else f"We've linked your complaint to order {order}.",
            ]
        case _:
            steps = [
                "Thanks for your message; a member of our team will read it and reply.",
                "If it's about an order, please include the order number.",
            ]
    return steps[:3]
