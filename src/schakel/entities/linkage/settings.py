"""What linkage compares, blocks on and trains with, per kind of record: rules as data.

Every choice here has its reason in docs/linkage.md; change the two together. A saved model
records the SQL of these comparisons, and scoring refuses a model whose comparisons no longer
match the declarations (retrain after a change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from schakel.entities.linkage.comparisons import (
    AllOf,
    AnyOf,
    Comparison,
    Crossed,
    DaysApartAtMost,
    JaroWinklerAtLeast,
    Level,
    LevenshteinAtMost,
    Same,
    Swapped,
    SwappedNear,
)
from schakel.entities.linkage.records import Kind


@dataclass(frozen=True)
class Block:
    """A blocking rule: pairs that agree exactly on all ``columns`` (SQL expressions over one
    record's columns, such as ``substr(date_of_birth, 1, 4)``), or that satisfy ``sql``
    written over ``l.`` and ``r.``."""

    columns: tuple[str, ...] = ()
    sql: str | None = None
    #: For a training session: the rule to train on instead when this one finds no pairs
    #: (the data has none of a column it names).
    fallback: Block | None = None

    def to_splink(self) -> BlockingRuleCreator:
        if self.sql is not None:
            return CustomRule(self.sql, sql_dialect="duckdb")
        return block_on(*self.columns)


@dataclass(frozen=True)
class KindSettings:
    """Comparisons, blocking rules and training plan of one kind of record.

    ``blocking`` generates the pairs that are scored; ``training`` are the blocking rules of
    the expectation-maximisation sessions, in order; ``deterministic`` pairs are taken as
    matches to estimate how likely two random records are to match, with ``recall`` the share
    of all true matches they are assumed to find.

    ``identifying`` names the comparisons that describe who or what a record is (for a
    person: names, date of birth, identity number), as opposed to where it was and how to
    reach it. A pair links only if these alone point towards a match (weigh more than zero
    bits together): a shared address, phone or nationality can strengthen a link but never
    make one, however many people share them.
    """

    kind: Kind
    comparisons: tuple[Comparison, ...]
    identifying: tuple[str, ...]
    blocking: tuple[Block, ...]
    training: tuple[Block, ...]
    deterministic: tuple[Block, ...]
    recall: float

    def to_splink(self) -> SettingsCreator:
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="unique_id",
            comparisons=[comparison.to_splink() for comparison in self.comparisons],
            blocking_rules_to_generate_predictions=[rule.to_splink() for rule in self.blocking],
            additional_columns_to_retain=["organisation_id"],
            retain_matching_columns=True,
            retain_intermediate_calculation_columns=True,
            max_iterations=EM_MAX_ITERATIONS,
            em_convergence=EM_CONVERGENCE,
        )

    def settings_dict(self, dialect: str = "duckdb") -> dict[str, Any]:
        """The untrained Splink settings for a SQL dialect ("duckdb", or "spark" at scale)."""
        return self.to_splink().create_settings_dict(dialect)


EM_MAX_ITERATIONS: Final = 25
EM_CONVERGENCE: Final = 0.0001


def _text(column: str, description: str) -> Comparison:
    return Comparison(
        name=column,
        description=description,
        columns=(column,),
        levels=(
            Level("exact", Same(column), term_frequencies=column),
            Level("very similar", JaroWinklerAtLeast(column, 0.92)),
            Level("similar", JaroWinklerAtLeast(column, 0.8)),
        ),
    )


def _exact_only(column: str, description: str) -> Comparison:
    return Comparison(
        name=column,
        description=description,
        columns=(column,),
        levels=(Level("exact", Same(column)),),
    )


def _code(column: str, description: str) -> Comparison:
    return Comparison(
        name=column,
        description=description,
        columns=(column,),
        levels=(
            Level("exact", Same(column)),
            Level("one character off", LevenshteinAtMost(column, 1)),
            Level("two characters off", LevenshteinAtMost(column, 2)),
        ),
    )


_NAMES_CROSSED = Crossed("given_name", "family_name")
_UNDATED = "(l.date_of_birth IS NULL OR r.date_of_birth IS NULL)"


def _initials_agree(column: str) -> str:
    return f"substr(l.{column}, 1, 1) = substr(r.{column}, 1, 1)"


_NAMES_SWAPPED = Swapped("given_name", "family_name")

PERSON = KindSettings(
    kind="person",
    comparisons=(
        Comparison(
            name="given_name",
            description="Given name; given and family name swapped or crossed counts here.",
            columns=("given_name",),
            levels=(
                Level("exact", Same("given_name"), term_frequencies="given_name"),
                Level("swapped with family name", _NAMES_SWAPPED),
                Level(
                    "swapped with family name, one misspelt",
                    SwappedNear("given_name", "family_name", 0.8),
                ),
                Level("crossed with family name", _NAMES_CROSSED),
                Level("very similar", JaroWinklerAtLeast("given_name", 0.92)),
                Level("similar", JaroWinklerAtLeast("given_name", 0.8)),
            ),
        ),
        Comparison(
            name="family_name",
            description="Family name; crossed with the given name counts there, not here.",
            columns=("family_name",),
            levels=(
                Level("exact", Same("family_name"), term_frequencies="family_name"),
                Level("crossed with given name", _NAMES_CROSSED, neutral=True),
                Level("very similar", JaroWinklerAtLeast("family_name", 0.92)),
                Level("similar", JaroWinklerAtLeast("family_name", 0.8)),
            ),
        ),
        Comparison(
            name="date_of_birth",
            description="Date of birth, as text for typing errors and as a date.",
            columns=("date_of_birth",),
            levels=(
                Level("exact", Same("date_of_birth")),
                Level("one digit off", LevenshteinAtMost("date_of_birth", 1)),
                Level("two digits off", LevenshteinAtMost("date_of_birth", 2)),
                Level("within a year", DaysApartAtMost("date_of_birth", 365)),
            ),
        ),
        _code("identity_number", "Identity number (one kind of document per deployment)."),
        Comparison(
            name="address",
            description="Street, house number, postcode and city as one piece of evidence.",
            columns=("street", "house_number", "postcode", "city"),
            unknown_when_all=True,
            levels=(
                Level("same address", Same("address_key"), term_frequencies="address_key"),
                Level(
                    "same address, written differently",
                    AllOf(
                        (
                            Same("house_number"),
                            AnyOf((Same("postcode"), JaroWinklerAtLeast("street", 0.92))),
                        )
                    ),
                    term_frequencies="address_key",
                ),
                Level(
                    "same street and postcode",
                    AllOf((Same("postcode"), JaroWinklerAtLeast("street", 0.92))),
                ),
                Level(
                    "same street or postcode",
                    AnyOf((Same("postcode"), JaroWinklerAtLeast("street", 0.92))),
                ),
                Level("same city", JaroWinklerAtLeast("city", 0.92)),
            ),
        ),
        Comparison(
            name="phone",
            description="Phone number in E.164; one many records share weighs less.",
            columns=("phone",),
            levels=(Level("exact", Same("phone"), term_frequencies="phone"),),
        ),
        _exact_only("gender", "Gender as recorded."),
        _exact_only("nationality", "Nationality, ISO 3166-1 alpha-2."),
    ),
    identifying=("given_name", "family_name", "date_of_birth", "identity_number"),
    blocking=(
        Block(("identity_number",)),
        Block(("date_of_birth",)),
        Block(("given_name", "family_name")),
        Block(sql="l.given_name = r.family_name"),
        Block(sql="l.family_name = r.given_name"),
        Block(("family_name", "substr(date_of_birth, 1, 4)")),
        Block(("given_name", "substr(date_of_birth, 1, 4)")),
        Block(("postcode", "house_number")),
        Block(("street", "house_number")),
        Block(("family_name", "city")),
        Block(("phone",)),
        # A record without a date of birth has only its name to be found by, and a typing
        # error in either name hides it from every rule above: the same family name and the
        # given name's first letter, or the other way round, for the pairs with a record
        # without a date (docs/linkage.md, "Records without a date of birth").
        Block(
            sql=f"l.family_name = r.family_name AND {_initials_agree('given_name')} AND {_UNDATED}"
        ),
        Block(
            sql=f"l.given_name = r.given_name AND {_initials_agree('family_name')} AND {_UNDATED}"
        ),
    ),
    training=(
        Block(("date_of_birth",)),
        # Same names, and the same nationality and gender: EM leaves out what a session is
        # blocked on, and pairs that share a name share these too (names come from a
        # country's and a gender's pool), far more than random pairs do. Left in, they made
        # every namesake look like a match: the date of birth's m came out at 0.17 for an
        # exact date, 0.79 for a different one (docs/linkage.md, "Training without labels").
        Block(
            ("given_name", "family_name", "nationality", "gender"),
            fallback=Block(("given_name", "family_name")),
        ),
    ),
    deterministic=(
        Block(("identity_number", "date_of_birth")),
        Block(("given_name", "family_name", "date_of_birth")),
    ),
    recall=0.8,
)

COMPANY = KindSettings(
    kind="company",
    comparisons=(
        _text("name", "Company name, legal form removed by the caller."),
        _code("registration_number", "Chamber of commerce or other registration number."),
        Comparison(
            name="place",
            description="Postcode and city as one piece of evidence.",
            columns=("postcode", "city"),
            unknown_when_all=True,
            levels=(
                Level("same postcode", Same("postcode"), term_frequencies="postcode"),
                Level("same postcode area", Same("postcode", prefix=4)),
                Level("same city", JaroWinklerAtLeast("city", 0.92)),
            ),
        ),
        _exact_only("phone", "Phone number in E.164."),
    ),
    identifying=("name", "registration_number"),
    blocking=(
        Block(("registration_number",)),
        Block(("name",)),
        Block(("postcode",)),
        Block(("phone",)),
    ),
    training=(
        Block(("registration_number",)),
        Block(("name",)),
    ),
    deterministic=(
        Block(("registration_number", "name")),
        Block(("name", "postcode")),
    ),
    recall=0.8,
)

ADDRESS = KindSettings(
    kind="address",
    comparisons=(
        _text("street", "Street name."),
        _exact_only("house_number", "House number with its addition; 12 and 12A differ."),
        Comparison(
            name="postcode",
            description="Postcode; the first four characters are a Dutch postcode's area.",
            columns=("postcode",),
            levels=(
                Level("exact", Same("postcode")),
                Level("same area", Same("postcode", prefix=4)),
            ),
        ),
        _text("city", "City."),
        _exact_only("country", "Country, ISO 3166-1 alpha-2."),
    ),
    # An address is its place: every comparison identifies it.
    identifying=("street", "house_number", "postcode", "city", "country"),
    blocking=(
        Block(("postcode", "house_number")),
        Block(("street", "house_number")),
        Block(("substr(postcode, 1, 4)", "house_number", "city")),
        Block(("substr(street, 1, 4)", "house_number", "city")),
    ),
    training=(
        Block(("postcode",)),
        Block(("street", "house_number")),
    ),
    deterministic=(Block(("postcode", "house_number", "street")),),
    recall=0.8,
)

SETTINGS: Final[dict[Kind, KindSettings]] = {
    "person": PERSON,
    "company": COMPANY,
    "address": ADDRESS,
}
