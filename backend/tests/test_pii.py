"""PII redaction: every kind replaced, what the safety log needs kept, idempotent."""

from __future__ import annotations

import pytest

from contactcenter.guardrails.pii import Redacted, redact, redact_for_log


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email me at jane.doe+shop@example.co.uk please", "Email me at [EMAIL] please"),
        ("Call me on +44 20 7946 0958", "Call me on [PHONE]"),
        ("my mobile is 07700 900123", "my mobile is [PHONE]"),
        ("reach me at (555) 123-4567 or 1-800-555-1234", "reach me at [PHONE] or [PHONE]"),
        ("card 4111 1111 1111 1111 exp 12/27", "card [CARD] exp 12/27"),
        ("card 5500-0000-0000-0004", "card [CARD]"),
        ("SSN 123-45-6789", "SSN [SSN]"),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [IBAN] thanks"),
        ("pay to DE89370400440532013000.", "pay to [IBAN]."),
        ("DOB: 12/03/1980", "DOB: [DATE_OF_BIRTH]"),
        ("I was born on 3 March 1985", "I was born on [DATE_OF_BIRTH]"),
        ("date of birth is 1979-11-02", "date of birth is [DATE_OF_BIRTH]"),
        ("postcode SW1A 1AA", "postcode [POSTCODE]"),
        ("ZIP 12345-6789", "ZIP [POSTCODE]"),
        ("logged in from 192.168.1.10", "logged in from [IP]"),
        ("and from 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "and from [IP]"),
        ("My name is John Smith and I need help", "My name is [NAME] and I need help"),
        ("Name: Mary O'Brien", "Name: [NAME]"),
        ("I live at 12 High Street", "I live at [ADDRESS]"),
        ("send it to 221B Baker St, London", "send it to [ADDRESS], London"),
        ("1600 Amphitheatre Parkway", "[ADDRESS]"),
    ],
)
def test_each_kind_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert redact(text).text == expected


def test_luhn_invalid_16_digits_are_not_a_card() -> None:
    text = "my reference is 1234 5678 9012 3456 and 1234567890123456"
    result = redact(text)
    assert result.text == text
    assert result.counts == {}


def test_iban_with_a_wrong_check_digit_is_kept() -> None:
    assert redact("GB00 WEST 1234 5698 7654 32").counts == {}


@pytest.mark.parametrize(
    "text",
    [
        "Take 500 mg of Amoxicillin twice daily",
        "I took 2 tablets of ibuprofen 200mg and 10 ml of Calpol",
        "Where is order 12345? Also order #98765 and order 987654321",
        "order number AB-123456 and prescription RX-12345",
        "I have a headache, a fever of 39.5 and a rash since 3 days",
        "delivered on 12/03/2026 at 12:30:45",
        "Metformin 850 mg, 56 tablets, dose 1000 mg",
        "Medication name: Amoxicillin",
        "my name is on the order",
        "order 4111111111111111 was never delivered",
    ],
)
def test_medication_doses_symptoms_and_order_numbers_survive(text: str) -> None:
    assert redact(text).text == text


def test_counts_per_kind() -> None:
    text = (
        "My name is Ana Silva, email ana@example.com or ana.s@example.org, "
        "phone +1 415 555 0100, card 4111111111111111, I live at 12 High Street, "
        "SW1A 1AA. Order 12345 for 500 mg paracetamol."
    )
    result = redact(text)
    assert result.counts == {
        "EMAIL": 2,
        "CARD": 1,
        "PHONE": 1,
        "POSTCODE": 1,
        "ADDRESS": 1,
        "NAME": 1,
    }
    assert result.total == 7
    assert "Order 12345 for 500 mg paracetamol." in result.text
    assert "Ana" not in result.text and "4111" not in result.text


def test_redaction_is_idempotent() -> None:
    text = (
        "Name: Bob Jones\nDOB 01/02/1970, SSN 123-45-6789, IBAN GB82WEST12345698765432, "
        "call 020 7946 0958, ip 10.0.0.1, 221B Baker St, 12345-6789, card 5500 0000 0000 0004, "
        "2 tablets of Lisinopril 10 mg, order 55555"
    )
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.counts == {}
    assert "Lisinopril 10 mg" in once.text and "order 55555" in once.text


def test_redact_for_log_returns_the_text() -> None:
    assert redact_for_log("mail bob@example.com") == "mail [EMAIL]"
    assert redact("nothing here") == Redacted("nothing here", {})
