"""The stories the demo's cases tell, as data: per police region who leads, which table
decides and who does what in a plan; per story how the case goes; per domain what a plan
aims at and who acts. ``schakel.demo.cases`` tells them through the cases services.

Texts are what partners would type in a Dutch chain (like the demo's signals).
"""

from __future__ import annotations

from dataclasses import dataclass

from schakel.cases.holds import DUBLIN_CLAIMANT
from schakel.cases.vocabulary import CaseStatus, TraffickingStatus
from schakel.tasks.models import Priority


@dataclass(frozen=True)
class Place:
    """A police region as the stories use it: its care coordination (the lead), its signal
    table, and who does what in a plan there."""

    lead: str
    table: str
    police: str
    municipality: str
    health: str
    legal_aid: str


PLACES: dict[str, Place] = {
    "PE-ZWB": Place(
        "Zorgcoördinatie Mensenhandel West-Brabant (demo)",
        "Signaaltafel Zeeland-West-Brabant",
        "Politie Eenheid Zeeland-West-Brabant",
        "Gemeente Breda",
        "GGD West-Brabant (demo)",
        "Stichting Kompas (demo)",
    ),
    "PE-NN": Place(
        "Zorgcoördinatie Mensenhandel Groningen (demo)",
        "Signaaltafel Noord-Nederland",
        "Politie Eenheid Noord-Nederland",
        "Gemeente Groningen",
        "Gemeente Groningen",
        "Gemeente Groningen",
    ),
    "PE-AM": Place(
        "Zorgcoördinatie Mensenhandel Amsterdam (demo)",
        "Signaaltafel Amsterdam-Amstelland",
        "Politie Eenheid Amsterdam",
        "Gemeente Amsterdam",
        "Gemeente Amsterdam",
        "Stichting Eerlijk Werk (demo)",
    ),
}
SHELTER = "Opvang De Veilige Haven (demo)"
YOUTH_CARE = "Jeugdzorg Brabant (demo)"
IMMIGRATION = "Immigratie- en Naturalisatiedienst"
MARECHAUSSEE = "Koninklijke Marechaussee"
#: Obliged to report victims to CoMensha (the demo gives it that function).
REPORTING = "Stichting Kompas (demo)"

EU = frozenset({"RO", "BG", "PL"})


@dataclass(frozen=True)
class Story:
    key: str
    region: str
    by_table: bool
    status: CaseStatus
    trafficking: TraffickingStatus
    minor: bool = False
    dublin: bool = False
    #: The reflection period ends this many days from today (offered three months before).
    reflection_ends_in: int | None = None
    plan_active: bool = True
    #: The first actions' agreed due dates lie this many days in the past.
    overdue: tuple[int, ...] = ()
    requests: bool = False
    #: Handed over to the lead of this region, with this outcome (accepted, open, declined).
    handover: tuple[str, str] | None = None
    #: The police and the care coordinator write on the case's secured line: a request for
    #: information, the victim's consent, what is shared under it, an intention to report.
    line: bool = False


STORIES: tuple[Story, ...] = (
    Story("zwb-actual", "PE-ZWB", True, CaseStatus.ACTIVE, TraffickingStatus.ACTUAL_VICTIM,
          reflection_ends_in=9, overdue=(3, 12), requests=True, line=True),
    Story("zwb-dublin", "PE-ZWB", True, CaseStatus.ACTIVE, TraffickingStatus.POSSIBLE_VICTIM,
          dublin=True, reflection_ends_in=64, overdue=(5,)),
    Story("zwb-minor", "PE-ZWB", True, CaseStatus.ACTIVE, TraffickingStatus.POSSIBLE_VICTIM,
          minor=True),
    Story("zwb-follow-up", "PE-ZWB", True, CaseStatus.FOLLOW_UP,
          TraffickingStatus.ACTUAL_VICTIM),
    Story("zwb-not-a-victim", "PE-ZWB", True, CaseStatus.CLOSED,
          TraffickingStatus.NOT_A_VICTIM, plan_active=False),
    Story("zwb-referred", "PE-ZWB", False, CaseStatus.CLOSED_REFERRED,
          TraffickingStatus.POSSIBLE_VICTIM),
    Story("zwb-to-amsterdam", "PE-ZWB", False, CaseStatus.ACTIVE,
          TraffickingStatus.POSSIBLE_VICTIM, plan_active=False, handover=("PE-AM", "accepted")),
    Story("zwb-to-groningen", "PE-ZWB", False, CaseStatus.ACTIVE,
          TraffickingStatus.ACTUAL_VICTIM, overdue=(20,), handover=("PE-NN", "open")),
    Story("zwb-new", "PE-ZWB", False, CaseStatus.ACTIVE, TraffickingStatus.POSSIBLE_VICTIM,
          plan_active=False),
    Story("nn-actual", "PE-NN", True, CaseStatus.ACTIVE, TraffickingStatus.ACTUAL_VICTIM,
          reflection_ends_in=30, overdue=(2, 9), requests=True, line=True),
    Story("nn-to-brabant", "PE-NN", False, CaseStatus.FOLLOW_UP,
          TraffickingStatus.POSSIBLE_VICTIM, handover=("PE-ZWB", "declined")),
    Story("nn-closed", "PE-NN", True, CaseStatus.CLOSED, TraffickingStatus.ACTUAL_VICTIM),
    Story("am-actual", "PE-AM", False, CaseStatus.ACTIVE, TraffickingStatus.ACTUAL_VICTIM,
          overdue=(4,)),
    Story("am-follow-up", "PE-AM", False, CaseStatus.FOLLOW_UP,
          TraffickingStatus.POSSIBLE_VICTIM),
)  # fmt: skip

#: What a plan holds per domain: the objective, and the action with who owns it (a key of
#: ``_owner``) and its priority. Texts are what a care coordinator would type (Dutch).
PLAN_DOMAINS: dict[str, tuple[str, str, str, str]] = {
    "shelter": (
        "Veilige opvang met begeleiding.",
        "Plaatsing in de categorale opvang regelen.",
        "shelter",
        Priority.HIGH,
    ),
    "safety": (
        "Veiligheid van betrokkene en familie geborgd.",
        "Dreigingsinschatting maken en afspraken over contact met de politie vastleggen.",
        "police",
        Priority.HIGH,
    ),
    "health": (
        "Lichamelijke en psychische zorg op gang.",
        "Intake bij huisarts en traumabehandeling aanvragen.",
        "health",
        Priority.NORMAL,
    ),
    "legal_aid": (
        "Rechtsbijstand en uitleg over aangifte.",
        "Advocaat toewijzen en gesprek over de rechten van slachtoffers plannen.",
        "legal_aid",
        Priority.NORMAL,
    ),
    "residence": (
        "Verblijf geregeld tijdens de bedenktijd en daarna.",
        "Aanvraag verblijfsvergunning slachtoffer mensenhandel (B8) beoordelen.",
        "immigration",
        Priority.NORMAL,
    ),
    "income": (
        "Inkomen en een bankrekening op eigen naam.",
        "Uitkering aanvragen en schulden bij de werkgever in kaart brengen.",
        "municipality",
        Priority.LOW,
    ),
    "return": (
        "Veilige terugkeer naar het land van herkomst.",
        "Terugkeer voorbereiden met de partnerorganisatie in het land van herkomst.",
        "immigration",
        Priority.NORMAL,
    ),
}
#: The domains of a victim's plan, the first ones first (the overdue actions).
DOMAINS_OF = {
    TraffickingStatus.ACTUAL_VICTIM: ("shelter", "safety", "health", "residence", "income"),
    TraffickingStatus.POSSIBLE_VICTIM: ("shelter", "health", "legal_aid"),
    TraffickingStatus.NOT_A_VICTIM: ("health",),
}
CLOSING_REASONS = {
    CaseStatus.CLOSED: "Geen signalen van uitbuiting bevestigd; betrokkene wil geen verdere hulp.",
    CaseStatus.CLOSED_REFERRED: (
        "Betrokkene is naar Amsterdam verhuisd; de begeleiding gaat naar Stichting Eerlijk Werk."
    ),
}
REFERRED_TO = "Stichting Eerlijk Werk (demo)"


def migration_status(story: Story, nationality: str) -> str:
    """A code of the migration-status vocabulary that fits the story and the nationality."""
    if story.dublin:
        return DUBLIN_CLAIMANT
    if nationality == "NL":
        return "dutch_national"
    if nationality in EU:
        return "eu_citizen"
    if not nationality:
        return "unknown"
    if story.minor:
        return "unaccompanied_minor"
    if story.trafficking == TraffickingStatus.ACTUAL_VICTIM and story.reflection_ends_in is None:
        return "trafficking_victim_permit"
    return "asylum_seeker" if story.reflection_ends_in is not None else "irregular_migrant"
