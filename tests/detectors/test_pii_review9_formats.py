"""Review 9: values next to markdown underscores, cards and SSNs split by dots or
slashes, IBANs split by dashes, e-mail domains of any script; and the look-alikes
these must not take (dates, decimals, versions, addresses)."""

from __future__ import annotations

import pytest

from ramparts.detectors.engine import Engine

ENGINE = Engine()


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.detector, text[f.start : f.end]) for f in ENGINE.scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card _4111 1111 1111 1111_ ok", ("payment_card", "4111 1111 1111 1111")),
        ("reach me at _john.smith@example.com_ today", ("email", "_john.smith@example.com")),
        ("mail john.smith@example.co.uk_ ok", ("email", "john.smith@example.co.uk")),
        ("mail john.smith@example.com2 ok", ("email", "john.smith@example.com")),
        ("SSN _123-45-6789_ ok", ("us_ssn", "123-45-6789")),
        ("card 4111.1111.1111.1111 thanks", ("payment_card", "4111.1111.1111.1111")),
        ("card 4111/1111/1111/1111 thanks", ("payment_card", "4111/1111/1111/1111")),
        ("amex 3782.822463.10005 thanks", ("payment_card", "3782.822463.10005")),
        ("my SSN is 123.45.6789 ok", ("us_ssn", "123.45.6789")),
        ("my SSN is 123/45/6789 ok", ("us_ssn", "123/45/6789")),
        ("IBAN GB82-WEST-1234-5698-7654-32 today", ("iban", "GB82-WEST-1234-5698-7654-32")),
        ("mail john.smith@exämple.de ok", ("email", "john.smith@exämple.de")),
        ("mail john@例え.jp ok", ("email", "john@例え.jp")),
        ("请联系 john@example.com获取", ("email", "john@example.com")),
    ],
)
def test_the_value_is_found_whole(text: str, expected: tuple[str, str]) -> None:
    assert expected in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "on 12/05/2024 at 10.30, v1.2.3.4 and 3.14159265358979 from 10.0.0.1",
        "ratio 0.4111111111111111 and 51.5074123456789",
        "order 123.45.6789 shipped",  # dotted, no SSN word nearby
        "path /2024/1111/1111/1111 and 4111.1111.1111.1112",  # Luhn fails
        "build 2024.05.12.1234 of 1234.5678",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert [name for name, _ in _found(text) if name in ("payment_card", "us_ssn", "iban")] == []
