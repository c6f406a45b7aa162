"""Tests of the linkage engine, and the synthetic people they link.

The tests need no database and no Django; they run under the project's pytest configuration
and with ``-p no:django``. The project's test plugin sets a password hasher on pytest-django's
``settings`` fixture for every test, so each module here imports ``settings`` below to stand
in for it when Django is not loaded.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pandas
import pytest

from schakel.entities.linkage import DEFAULT_THRESHOLD, LinkageResult, link
from schakel.entities.linkage.records import clean_record

GIVEN = [
    "ioana", "maria", "andrei", "olena", "piotr", "nguyen van", "ama", "fatima", "jonas",
    "lena", "stefan", "agnieszka", "hristo", "yaroslav", "thi minh", "kwame", "elena",
    "mihai", "katarzyna", "dmytro", "anh", "joost", "sanne", "bogdan", "tatiana", "vasile",
    "oksana", "lukasz", "daria", "radu", "ivelina", "georgi", "linh", "abena", "yusuf",
]  # fmt: skip
FAMILY = [
    "popescu", "nowak", "kowalski", "shevchenko", "tran", "mensah", "yilmaz", "jansen",
    "ionescu", "wisniewski", "petrov", "dimitrova", "pham", "owusu", "de vries", "bakker",
    "stoica", "zielinska", "kovalenko", "hoang", "asante", "visser", "marin", "lewandowski",
    "georgiev", "boateng", "smit", "radu", "moldovan", "bondarenko", "le", "van dijk",
]  # fmt: skip
STREETS = [
    "ginnekenweg", "haagweg", "nieuwe boschstraat", "teteringsedijk", "belcrumweg",
    "kerkstraat", "molenstraat", "stationsweg", "dorpsstraat", "julianalaan", "parallelweg",
]  # fmt: skip
CITIES = ["breda", "tilburg", "rotterdam", "utrecht", "eindhoven", "arnhem"]
_DISSIMILAR_GIVEN = [
    "ioana", "piotr", "kwame", "fatima", "jonas", "hristo", "yusuf", "agnieszka", "dmytro",
    "sanne", "bogdan", "linh",
]  # fmt: skip


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stands in for pytest-django's ``settings`` (see the module documentation)."""
    return SimpleNamespace()


@dataclass
class Population:
    """Person records with the true identity of each, for measuring linkage."""

    records: list[dict[str, Any]] = field(default_factory=list)
    identity: dict[int, int] = field(default_factory=dict)
    #: The household of each person who lives in one.
    household: dict[int, int] = field(default_factory=dict)

    def true_pairs(self) -> set[tuple[int, int]]:
        by_person: dict[int, list[int]] = {}
        for record, person in self.identity.items():
            by_person.setdefault(person, []).append(record)
        return {(a, b) for records in by_person.values() for a in records for b in records if a < b}


def _typo(rng: random.Random, text: str) -> str:
    position = rng.randrange(len(text))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return text[:position] + letter + text[position + 1 :]


def _person(rng: random.Random, number: int) -> dict[str, Any]:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(16_000))
    return {
        "given_name": rng.choice(GIVEN),
        "family_name": rng.choice(FAMILY),
        "date_of_birth": born.isoformat(),
        "gender": rng.choice("FM"),
        "nationality": rng.choice(["RO", "PL", "BG", "UA", "VN", "GH", "NL"]),
        "phone": f"+3161{number:07d}" if rng.random() < 0.6 else None,
        "identity_number": f"{rng.randrange(10**8, 10**9)}" if rng.random() < 0.5 else None,
        "street": rng.choice(STREETS),
        "house_number": str(rng.randrange(1, 300)),
        "postcode": f"{rng.randrange(1000, 9999)}{rng.choice('ABCDEFGH')}{rng.choice('KLMN')}",
        "city": rng.choice(CITIES),
    }


def _mention(rng: random.Random, person: dict[str, Any], corrupt: bool) -> dict[str, Any]:
    mention = dict(person)
    if not corrupt:
        return mention
    if rng.random() < 0.3:
        mention["given_name"] = _typo(rng, mention["given_name"])
    if rng.random() < 0.3:
        mention["family_name"] = _typo(rng, mention["family_name"])
    if rng.random() < 0.1:
        mention["given_name"], mention["family_name"] = (
            mention["family_name"],
            mention["given_name"],
        )
    if rng.random() < 0.1:
        year, month, day = mention["date_of_birth"].split("-")
        mention["date_of_birth"] = f"{year}-{day}-{month}" if int(day) <= 12 else None
    elif rng.random() < 0.05:
        mention["date_of_birth"] = _typo_digit(rng, mention["date_of_birth"])
    if mention["identity_number"] and rng.random() < 0.05:
        mention["identity_number"] = _typo_digit(rng, mention["identity_number"])
    # People change phones and move; gender and nationality are sometimes recorded wrongly.
    if rng.random() < 0.2:
        mention["phone"] = f"+3162{rng.randrange(10**7):07d}"
    if rng.random() < 0.1:
        mention["street"], mention["house_number"] = rng.choice(STREETS), str(rng.randrange(300))
    if rng.random() < 0.02:
        mention["gender"] = "M" if mention["gender"] == "F" else "F"
    if rng.random() < 0.05:
        mention["nationality"] = rng.choice(["RO", "PL", "BG", "UA", "VN", "GH", "NL"])
    for column in ("phone", "identity_number", "street", "house_number", "postcode", "gender"):
        if rng.random() < 0.3:
            mention[column] = None
    return mention


def _typo_digit(rng: random.Random, text: str) -> str:
    positions = [index for index, character in enumerate(text) if character.isdigit()]
    position = rng.choice(positions)
    digit = rng.choice([d for d in "0123456789" if d != text[position]])
    return text[:position] + digit + text[position + 1 :]


def population(
    people: int = 300,
    *,
    seed: int = 7,
    households: int = 0,
    residents: int = 8,
) -> Population:
    """``people`` people, most mentioned two or three times (by different organisations, with
    typing errors, crossed names and missing values), plus ``households`` addresses where
    ``residents`` different people live, sharing one phone number and nationality — the
    people a model that learnt "same place" would merge."""
    rng = random.Random(seed)
    result = Population()
    persons = [_person(rng, number) for number in range(people)]
    for household in range(households):
        shared = _person(rng, 90_000 + household)
        # A family among them: relatives share a family name but not a given name; a given
        # name that is a variant of another (lena, olena) would make them one person to
        # anyone without a date of birth.
        given_names = rng.sample(_DISSIMILAR_GIVEN, residents)
        for resident in range(residents):
            person = _person(rng, 50_000 + household * 100 + resident)
            for column in ("street", "house_number", "postcode", "city", "phone", "nationality"):
                person[column] = shared[column]
            person["given_name"] = given_names[resident]
            if resident < residents // 2:
                person["family_name"] = shared["family_name"]
            result.household[len(persons)] = household
            persons.append(person)
    for number, person in enumerate(persons):
        copies = rng.choice([1, 2, 2, 3])
        for copy in range(copies):
            unique_id = len(result.records) + 1
            mention = _mention(rng, person, corrupt=copy > 0)
            mention.update(unique_id=unique_id, organisation_id=copy + 1)
            result.records.append(mention)
            result.identity[unique_id] = number
    return result


@functools.cache
def linked_population() -> tuple[Population, LinkageResult]:
    """One linkage run on a synthetic population with households, shared by the tests that
    read its result (a run takes seconds; the result is not changed by anyone)."""
    people = population(220, households=4)
    result = link(pandas.DataFrame(people.records), "person", threshold=DEFAULT_THRESHOLD)
    return people, result


def with_frequencies(
    record: dict[str, Any], frequencies: dict[str, dict[str, float]]
) -> dict[str, Any]:
    """A person record with the term frequencies of its values, as intake would pass them."""
    cleaned = clean_record("person", record)
    known = {
        f"tf_{column}": shares[cleaned[column]]
        for column, shares in frequencies.items()
        if cleaned.get(column) is not None
    }
    return {**record, **known}


def spy_on_memory_limit(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DuckDB memory limit each linkage run works under, as DuckDB reports it."""
    import duckdb

    from schakel.entities.linkage import engine

    seen: list[str] = []
    real_run = engine._run

    def run(connection: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> LinkageResult:
        seen.append(connection.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return real_run(connection, *args, **kwargs)

    monkeypatch.setattr(engine, "_run", run)
    return seen
