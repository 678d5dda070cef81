"""Personal data is spotted so it is never repeated in a group or a log (policy 3.12)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpbot.nlu.personal_data import PersonalDatum, find_personal_data, redact
from helpbot.nlu.understanding import Understanding


def kinds(text: str) -> list[str]:
    return [d.kind for d in find_personal_data(text)]


def found(text: str) -> list[str]:
    return [text[d.start : d.end] for d in find_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "datum"),
    [
        ("I live at 14 Oak Road, TA6 4SY", "TA6 4SY"),
        ("postcode ta64sy", "ta64sy"),
        ("it's BS1 1AA.", "BS1 1AA"),
    ],
)
def test_a_postcode_is_found(text: str, datum: str) -> None:
    assert found(text) == [datum]
    assert kinds(text) == ["postcode"]


@pytest.mark.parametrize(
    "number",
    [
        "01278 444344",
        "07700 900123",
        "+44 7700 900123",
        "+447700900123",
        "07700900123",
        "0117 496 0123",
        "(01278) 444344",
        "07700-900-123",
    ],
)
def test_a_uk_phone_number_is_found(number: str) -> None:
    text = f"ring me on {number} after 5"
    assert found(text) == [number]
    assert kinds(text) == ["phone"]


def test_an_email_is_found() -> None:
    assert found("email me at jo.bloggs@example.com please") == ["jo.bloggs@example.com"]
    assert kinds("email me at jo.bloggs@example.com please") == ["email"]


@pytest.mark.parametrize(
    ("text", "datum"),
    [
        ("my tenancy ref T123456", "T123456"),
        ("ref SHAL-12345 please", "SHAL-12345"),
        ("reference number 20931", "20931"),
        ("rent account 44019283 is wrong", "44019283"),
    ],
)
def test_a_tenancy_reference_is_found(text: str, datum: str) -> None:
    assert found(text) == [datum]
    assert kinds(text) == ["tenancy_ref"]


def test_an_eight_digit_account_number_is_found() -> None:
    assert found("account number 12345678") == ["12345678"]
    assert kinds("account number 12345678") == ["account_number"]


@pytest.mark.parametrize("text", ["sort code 12-34-56", "sort code: 12 34 56", "sc 12-34-56"])
def test_a_sort_code_is_found(text: str) -> None:
    assert kinds(text) == ["sort_code"]


def test_bank_details_together_are_both_found() -> None:
    text = "sort code 20-45-77 account 31926819"
    assert kinds(text) == ["sort_code", "account_number"]


@pytest.mark.parametrize(
    ("text", "datum"),
    [
        ("DOB 12/03/1985", "12/03/1985"),
        ("d.o.b. 12.03.85", "12.03.85"),
        ("I was born on 3 March 1985", "3 March 1985"),
        ("date of birth: 3rd of March, 1985", "3rd of March, 1985"),
        ("born March 3 1985", "March 3 1985"),
    ],
)
def test_a_date_of_birth_is_found(text: str, datum: str) -> None:
    assert found(text) == [datum]
    assert kinds(text) == ["date_of_birth"]


@pytest.mark.parametrize("number", ["QQ 12 34 56 C", "QQ123456C", "qq 123456 c"])
def test_a_national_insurance_number_is_found(number: str) -> None:
    assert found(f"my NI is {number}") == [number]
    assert kinds(f"my NI is {number}") == ["ni_number"]


@pytest.mark.parametrize(
    "text",
    [
        "flat 12",
        "I waited 3 weeks",
        "£450",
        "the engineer came on 12/03/2024",
        "job number 445812",
        "stage 2 within 20 working days",
        "I've lived here 20 years at number 14",
        "charity number 27772R",
        "call me at 10:30",
        "2 bed house, 3 kids",
    ],
)
def test_everyday_numbers_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == []


def test_redact_replaces_each_datum_with_its_kind() -> None:
    text = "I'm at TA6 4SY, call 07700 900123 or jo@example.com, DOB 12/03/1985"
    assert redact(text) == ("I'm at [postcode], call [phone] or [email], DOB [date_of_birth]")


def test_offsets_point_into_the_original_text() -> None:
    text = "Hi, it's Mrs K Begum, NI QQ 12 34 56 C, phone 01278 422987"
    data = find_personal_data(text)
    assert data == [
        PersonalDatum("ni_number", text.index("QQ"), text.index("QQ") + len("QQ 12 34 56 C")),
        PersonalDatum("phone", text.index("01278"), len(text)),
    ]


def test_empty_text_has_no_personal_data() -> None:
    assert find_personal_data("") == []
    assert redact("") == ""


def test_understanding_finds_the_same_data(understanding: Understanding) -> None:
    text = "my number is 07700 900123"
    assert understanding.find_personal_data(text) == find_personal_data(text)


@given(st.text(max_size=200))
def test_redact_never_crashes_and_leaves_no_detectable_data(text: str) -> None:
    redacted = redact(text)
    assert isinstance(redacted, str)
    for datum in find_personal_data(text):
        assert 0 <= datum.start < datum.end <= len(text)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("my son's asthma is worse since the mould came back", "health", "asthma"),
        ("I was diagnosed with cancer in March", "health", "diagnosed"),
        ("my mum has dementia and lives with me", "health", "dementia"),
        ("we're in debt and the bailiffs came yesterday", "money", "in debt"),
        ("Behind on rent since I lost my job", "money", "Behind on rent"),
        ("I've got rent arrears of 800 pounds", "money", "arrears"),
        (
            "my universal credit has been sanctioned",
            "money",
            "universal credit has been sanctioned",
        ),
        # Left up in the group before (outside review).
        ("I'm 3000 quid in debt on credit cards and can't sleep", "money", "in debt"),
        ("Been diagnosed with diabetes last month", "health", "diagnosed"),
        ("we're on benefits and can't afford food this week", "money", "on benefits"),
        ("I have MS and the grab rail in the bathroom is loose", "health", "have MS"),
        ("Got a CCJ from the council", "money", "CCJ"),
        ("I owe universal credit 1200 and I'm so skint", "money", "owe"),
        ("Can't afford to heat the flat", "money", "Can't afford to heat"),
    ],
)
def test_health_or_money_trouble_told_is_found(text: str, kind: str, words: str) -> None:
    from helpbot.nlu.health_and_money import find_disclosures

    found = find_disclosures(text)
    assert [(d.kind, text[d.start : d.end]) for d in found][:1] == [(kind, words)]


@pytest.mark.parametrize(
    "text",
    [
        "mental health awareness week at the centre on friday",
        "the food bank opens on Tuesdays",
        "cancer research coffee morning in the hall",
        "I have a question about disabled parking bays",
        "I rang the GP surgery about the smell",
        "the loft hatch fell open and nearly gave me a heart attack",
        "who do I talk to about the rent increase",
        # Trouble that is over, and figures of speech.
        "Great news, I finally paid off my rent arrears! Thanks to the money advice team",
        "I owe you a coffee for fixing the gate",
        "Ms Jones from the office was lovely",
        "my window broke in the storm",
    ],
)
def test_talk_about_health_or_money_is_not_a_disclosure(text: str) -> None:
    from helpbot.nlu.health_and_money import find_disclosures

    assert find_disclosures(text) == []
