"""Synthetic signals for the demo and for benchmarks.

Every person is invented. A pool of *true identities* (people, companies, addresses, phones,
accounts) is drawn first; signals then mention them the way different partners would: with
spelling variations, transliterations from Cyrillic, dropped diacritics, swapped name order,
typos and phone numbers typed in other formats. Which mention is which true identity is written
aside (``demo-truth.jsonl`` in the data directory), for linkage benchmarks; it is never loaded
into Schakel itself.

Signals come from *situations*, as they do in the chain: a few exploiters with their premises
(a house, a workplace) and perhaps a company, and the people they exploit. Partners report
what they see of one situation again and again — this victim at that house, that suspect with
this company —, so the same people, places and companies meet in many signals, the way the
signal table and the network views find them; a victim sometimes moves to another situation.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from schakel.demo.name_pools import more_family, more_given, widen
from schakel.partners.models import Organisation, Region, SharingGroup, User
from schakel.partners.vocabulary import RegionKind, Role
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PaymentInput,
    PersonInput,
    RelationInput,
    SignalInput,
    validate_signal,
)
from schakel.signals.models import Channel, Tlp
from schakel.signals.rules.indicators import catalogue
from schakel.signals.writer import BATCH_SIZE, ToWrite, write_signals

# Name parts per source country, as a partner would write them (Latin script); some are
# written in Cyrillic by a partner abroad. A true person has one or two given names and a
# family name from these lists, so a large demo holds as many distinct names as a real
# population of its size would (a few people per full name, told apart by date of birth),
# not a few hundred names shared by thousands.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "RO": (
        ("Ioana", "Andreea", "Mihai", "Ștefan", "Elena", "Florin", "Daniela", "Costel", "Maria",
         "Gabriel", "Alexandra", "Cristina", "Adrian", "Bogdan", "Raluca", "Vasile", "Nicoleta",
         "Marius", "Simona", "Ionuț"),
        ("Popescu", "Ionescu", "Dumitrescu", "Stănescu", "Munteanu", "Dragomir", "Lungu",
         "Popa", "Radu", "Constantin", "Stoica", "Gheorghe", "Rusu", "Matei", "Ciobanu",
         "Moldovan", "Șerban", "Toma", "Barbu", "Neagu", "Preda", "Lazăr", "Oprea", "Vlad",
         "Tudor", "Marin", "Nistor", "Cozma", "Florea", "Enache"),
    ),
    "BG": (
        ("Ivan", "Petar", "Maria", "Yordanka", "Georgi", "Desislava", "Nikolay", "Elena",
         "Dimitar", "Stefan", "Teodora", "Hristo", "Radostina", "Vasil", "Milena", "Krasimir",
         "Tsvetelina", "Boris", "Ralitsa", "Todor"),
        ("Petrov", "Ivanova", "Georgiev", "Dimitrova", "Stoyanov", "Todorova", "Nikolov",
         "Hristova", "Kolev", "Angelova", "Atanasov", "Petkova", "Iliev", "Marinova", "Yordanov",
         "Pavlova", "Mihaylov", "Koleva", "Stefanov", "Vasileva", "Dimitrov", "Popova",
         "Kostov", "Nikolova", "Ivanov", "Georgieva", "Petrova", "Todorov", "Angelov",
         "Stoyanova"),
    ),
    "PL": (
        ("Katarzyna", "Paweł", "Agnieszka", "Łukasz", "Małgorzata", "Piotr", "Anna", "Tomasz",
         "Magdalena", "Krzysztof", "Joanna", "Marcin", "Ewa", "Michał", "Barbara", "Grzegorz",
         "Dorota", "Jakub", "Monika", "Wojciech"),
        ("Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska",
         "Szymański", "Woźniak", "Dąbrowska", "Kozłowski", "Jankowska", "Mazur", "Kwiatkowski",
         "Krawczyk", "Piotrowska", "Grabowski", "Pawłowska", "Michalski", "Król", "Wieczorek",
         "Jabłoński", "Wróbel", "Nowakowska", "Majewski", "Olszewska", "Stępień", "Malinowski",
         "Jaworska", "Adamczyk"),
    ),
    "UA": (
        ("Oksana", "Andriy", "Olena", "Serhiy", "Iryna", "Dmytro", "Natalia", "Oleksandr",
         "Tetiana", "Volodymyr", "Yulia", "Mykola", "Svitlana", "Vasyl", "Halyna", "Yuriy",
         "Lyudmyla", "Bohdan", "Kateryna", "Taras"),
        ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Melnyk", "Boyko", "Kravchenko",
         "Kovalchuk", "Oliynyk", "Shevchuk", "Polishchuk", "Lysenko", "Marchenko", "Moroz",
         "Savchenko", "Rudenko", "Petrenko", "Klymenko", "Pavlenko", "Kuzmenko", "Ponomarenko",
         "Levchenko", "Tkachuk", "Kravchuk", "Vasylenko", "Hrytsenko", "Karpenko", "Sydorenko",
         "Yakovenko", "Romanenko"),
    ),
    "VN": (
        ("Thị Lan", "Văn Minh", "Thị Hương", "Văn Dũng", "Thị Mai", "Văn Hùng", "Thị Hoa",
         "Văn Nam", "Thị Thu", "Văn Tuấn", "Thị Ngọc", "Đức Anh", "Thị Hằng", "Quang Huy",
         "Thị Linh", "Văn Long", "Thị Trang", "Minh Đức", "Thị Phương", "Văn Sơn"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
         "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Cao"),
    ),
    "NG": (
        ("Blessing", "Joy", "Precious", "Chinedu", "Esther", "Favour", "Chiamaka", "Emeka",
         "Ngozi", "Oluwaseun", "Funmilayo", "Ifeanyi", "Adaeze", "Tunde", "Grace", "Uchenna",
         "Kehinde", "Amaka", "Segun", "Patience"),
        ("Okafor", "Adeyemi", "Eze", "Okonkwo", "Ogunleye", "Nwosu", "Adebayo", "Okeke",
         "Ibrahim", "Olawale", "Chukwu", "Balogun", "Nnamdi", "Afolabi", "Obi", "Ogbonna",
         "Bello", "Onyeka", "Oyelaran", "Uzor", "Adekunle", "Anyanwu", "Ezeh", "Olatunji",
         "Nwachukwu", "Oladipo", "Ikenna", "Akinola", "Okoro", "Umeh"),
    ),
    "NL": (
        ("Sanne", "Bram", "Lotte", "Thijs", "Anouk", "Jeroen", "Femke", "Daan", "Iris", "Ruben",
         "Eva", "Sander", "Lisa", "Martijn", "Noor", "Joost", "Esther", "Niels", "Fleur", "Tim"),
        ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
         "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
         "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van den Berg", "Kok",
         "Jacobs", "de Haan", "Vermeulen", "van Dijk", "Koster", "Prins", "Willems"),
    ),
}  # fmt: skip
CYRILLIC = {
    "Ivan": "Иван",
    "Petar": "Петър",
    "Maria": "Мария",
    "Georgi": "Георги",
    "Nikolay": "Николай",
    "Dimitar": "Димитър",
    "Elena": "Елена",
    "Stefan": "Стефан",
    "Todor": "Тодор",
    "Boris": "Борис",
    "Petrov": "Петров",
    "Ivanova": "Иванова",
    "Georgiev": "Георгиев",
    "Dimitrova": "Димитрова",
    "Stoyanov": "Стоянов",
    "Nikolov": "Николов",
    "Kolev": "Колев",
    "Iliev": "Илиев",
    "Ivanov": "Иванов",
    "Petrova": "Петрова",
    "Oksana": "Оксана",
    "Olena": "Олена",
    "Iryna": "Ірина",
    "Dmytro": "Дмитро",
    "Natalia": "Наталія",
    "Taras": "Тарас",  # noqa: RUF001 - Cyrillic on purpose
    "Shevchenko": "Шевченко",
    "Kovalenko": "Коваленко",
    "Melnyk": "Мельник",
    "Boyko": "Бойко",
    "Moroz": "Мороз",
    "Lysenko": "Лисенко",
}
STREETS = (
    "Ginnekenweg",
    "Haagweg",
    "Spoorstraat",
    "Industrieweg",
    "Kerkstraat",
    "Dorpsstraat",
    "Havenkade",
    "Molenstraat",
    "Stationsplein",
    "Nieuwstraat",
)
COMPANY_WORDS = ("Glans", "Snel", "Flex", "Groen", "Royal", "Euro", "Sun", "Star", "Top")
COMPANY_KINDS = (
    "Nagelstudio",
    "Uitzendbureau",
    "Schoonmaak",
    "Tuinbouw",
    "Logistiek",
    "Massagesalon",
    "Autowas",
    "Bouw",
)
BANKS = ("ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB")
SCENARIOS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "labour",
        (
            "Werkt lange dagen in de kas en woont met tien anderen in één huis.",
            "Werknemers slapen in de loods; de baas houdt de loonstroken in.",
        ),
    ),
    (
        "sexual",
        (
            "Advertenties met steeds wisselende hotels; een man regelt de afspraken.",
            "Jonge vrouw lijkt niet zelf over haar geld te beschikken.",
        ),
    ),
    (
        "criminal",
        (
            "Jongen wordt gedwongen in een hennepkwekerij te werken.",
            "Jongeren worden ingezet als geldezel en mogen niets houden.",
        ),
    ),
    ("forced_begging", ("Vrouw met kind bedelt dagelijks bij het station en wordt opgehaald.",)),
    ("organ_removal", ("Man vertelt dat hij in het buitenland een nier moest afstaan.",)),
)


@dataclass
class TruePerson:
    identity: int
    country: str
    given: str
    family: str
    born: date
    phone_digits: str
    iban: str | None


Company = tuple[int, str, str]  # id, name, kvk
Address = tuple[int, str, str, str, str]  # id, street, number, postcode, city


@dataclass
class Truth:
    persons: list[TruePerson] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    situations: list[Situation] = field(default_factory=list)


@dataclass
class Situation:
    """One exploitation situation: who exploits whom, where, and through which company."""

    scenario: int  # index in SCENARIOS
    suspects: list[TruePerson]
    victims: list[TruePerson]
    addresses: list[Address]
    companies: list[Company]


#: One situation per this many true people (with 1.4 suspects each on average).
PEOPLE_PER_SITUATION = 8
#: The situations' forms of exploitation in turn (indexes in SCENARIOS): labour and sexual
#: exploitation most, then criminal exploitation, forced begging and organ removal.
SCENARIO_CYCLE = (0, 1, 2, 0, 1, 3, 0, 1, 2, 4)


def _iban(rng: random.Random) -> str:
    from schwifty import IBAN

    account = f"{rng.randrange(10**9, 10**10):010d}"
    return str(IBAN.generate("NL", bank_code=rng.choice(BANKS), account_code=account))


def _kvk(rng: random.Random) -> str:
    return f"{rng.randrange(10_000_000, 99_999_999):08d}"


def build_truth(rng: random.Random, people: int, *, names: random.Random) -> Truth:
    """The true people, companies and addresses. ``names`` widens the common names drawn
    from ``rng`` to the long tail of ``name_pools`` with a stream of its own, so that what
    ``rng`` draws after them is the same as without."""
    truth = Truth()
    for identity in range(people):
        country = rng.choice(list(NAMES))
        givens, families = NAMES[country]
        tail = more_given(country)
        common = rng.choice(givens)
        given = widen(names, common, tail)
        if rng.random() < 0.5 and country not in {"VN", "NL"}:
            second = widen(names, rng.choice([g for g in givens if g != common]), tail)
            if second != given:
                given = f"{given} {second}"
        # Most people are adults; one in twelve is a minor now (born 2009-2012).
        born = (
            date(2009, 1, 1) + timedelta(days=rng.randrange(0, 365 * 4))
            if rng.random() < 1 / 12
            else date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 48))
        )
        truth.persons.append(
            TruePerson(
                identity,
                country,
                given,
                widen(names, rng.choice(families), more_family(country)),
                born,
                # Dutch mobile numbers: 06 followed by 1-5 or 8 and seven digits.
                f"6{rng.choice('123458')}{rng.randrange(0, 10_000_000):07d}",
                _iban(rng) if rng.random() < 0.4 else None,
            )
        )
    for identity in range(max(5, people // 8)):
        name = f"{rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_WORDS)} B.V."
        truth.companies.append((identity, name, _kvk(rng)))
    for identity in range(max(5, people // 6)):
        truth.addresses.append(_address(rng, identity))
    return truth


def _address(rng: random.Random, identity: int) -> Address:
    postcode = (
        f"{rng.randrange(1000, 9999)}{rng.choice('ABCDEFGHJKLMNPRT')}"
        f"{rng.choice('ABCDEFGHJKLMNPRTVWXZ')}"
    )
    return (identity, rng.choice(STREETS), str(rng.randrange(1, 250)), postcode, "Breda")


def build_situations(rng: random.Random, truth: Truth) -> None:
    """Group the true people into situations, each with its suspects, victims, premises and
    perhaps a company. Drawn from a generator of its own (the true people stay what they
    are for a seed). Sizes vary as they do in practice: most situations are a few people,
    some are a house or a workplace with dozens."""
    people = list(truth.persons)
    rng.shuffle(people)
    count = max(min(len(people) // 3, len(SCENARIO_CYCLE)), len(people) // PEOPLE_PER_SITUATION)
    suspects = [[people.pop() for _ in range(1 if rng.random() < 0.6 else 2)] for _ in range(count)]
    # Heavy-tailed sizes: a victim joins a situation in proportion to its weight, so most
    # have a few victims and some a few dozen (a greenhouse, a house of workers); the cap
    # keeps the largest near a hundred.
    weights = list(itertools.accumulate(min(rng.paretovariate(1.5), 30.0) for _ in range(count)))
    victims: list[dict[int, TruePerson]] = [{} for _ in range(count)]
    for index, person in enumerate(people):
        # Every situation has a victim; the rest go by weight.
        at = index if index < count else rng.choices(range(count), cum_weights=weights)[0]
        victims[at][person.identity] = person
        if rng.random() < 0.05:  # moved on to, or also exploited in, another situation
            victims[rng.choices(range(count), cum_weights=weights)[0]][person.identity] = person
    # Premises of their own: a house is rarely used by two situations at once.
    addresses = list(truth.addresses)
    rng.shuffle(addresses)
    companies = list(truth.companies)
    rng.shuffle(companies)
    for at in range(count):
        premises = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            if not addresses:
                addresses.append(_address(rng, len(truth.addresses)))
                truth.addresses.append(addresses[-1])
            premises.append(addresses.pop())
        truth.situations.append(
            Situation(
                scenario=SCENARIO_CYCLE[at % len(SCENARIO_CYCLE)],
                suspects=suspects[at],
                victims=list(victims[at].values()),
                addresses=premises,
                companies=[companies[at % len(companies)]] if rng.random() < 0.5 else [],
            )
        )


# Ways partners write the same thing ---------------------------------------------------------


def _strip_diacritics(text: str) -> str:
    import unicodedata

    return (
        "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        .replace("ł", "l")
        .replace("Ł", "L")
    )


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    choice = rng.random()
    if choice < 0.4:
        return text[:i] + text[i + 1 :]  # a dropped letter
    if choice < 0.8:
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]  # swapped letters
    return text[:i] + text[i] + text[i:]  # a doubled letter


def spell(rng: random.Random, person: TruePerson) -> tuple[str, str]:
    given, family = person.given, person.family
    if " " in given and person.country not in {"VN"} and rng.random() < 0.15:
        given = given.split()[0]  # only the first given name recorded
    roll = rng.random()
    cyrillic = [CYRILLIC.get(part) for part in given.split()]
    if roll < 0.15 and all(cyrillic) and family in CYRILLIC:
        return " ".join(c for c in cyrillic if c), CYRILLIC[family]
    if roll < 0.35:
        given, family = _strip_diacritics(given), _strip_diacritics(family)
    elif roll < 0.45:
        family = _typo(rng, family)
    elif roll < 0.5:
        given = _typo(rng, given)
    if rng.random() < 0.1:
        given, family = family, given  # a partner who writes the family name first
    return given, family


def _gender(rng: random.Random, person: TruePerson) -> str:
    # A person's gender is the same in every signal, or not recorded.
    return "unknown" if rng.random() < 0.3 else ("female", "male")[person.identity % 2]


def phone_as_typed(rng: random.Random, digits: str) -> str:
    formats: tuple[Callable[[str], str], ...] = (
        lambda d: f"0{d}",
        lambda d: f"+31 {d[0]} {d[1:5]} {d[5:]}",
        lambda d: f"0031{d}",
        lambda d: f"0{d[0]}-{d[1:]}",
        lambda d: f"(0){d[0]} {d[1:]}",
    )
    return rng.choice(formats)(digits)


PAYMENT_PURPOSES = ("Huur kamer", "Reiskosten", "Aflossing schuld", "Bemiddeling", "Werkkleding")


def ties_for(
    rng: random.Random,
    *,
    victims: list[TruePerson],
    suspect: TruePerson | None,
    company: bool,
    observed: date,
) -> tuple[list[RelationInput], list[PaymentInput]]:
    """What a signal says about how its people are tied: victims who are family or know each
    other, a suspect who is a victim's partner (the "loverboy" method) or acquaintance and
    the director of the company named, and now and then a payment from a victim's own account
    to the suspect or the company. Persons by position: the victims first, then the suspect.

    Drawn from a generator of its own, so that the rest of the demo (and the true identities
    the linkage benchmarks use) stays what it was for a seed."""
    relations: list[RelationInput] = []
    payments: list[PaymentInput] = []
    suspect_at = len(victims) if suspect is not None else None
    if len(victims) == 2 and rng.random() < 0.3:
        if rng.random() < 0.6:
            kinship = rng.choice(["sibling", "partner", "other_family"])
            relations.append(RelationInput("family", 0, 1, relationship=kinship))
        else:
            relations.append(RelationInput("associate", 0, 1))
    if suspect_at is not None:
        roll = rng.random()
        if roll < 0.15:
            relations.append(RelationInput("family", 0, suspect_at, relationship="partner"))
        elif roll < 0.35:
            relations.append(RelationInput("associate", suspect_at, 0))
        if company and rng.random() < 0.5:
            relations.append(RelationInput("director", suspect_at, company=0))
    to_company = suspect_at is None and company
    if victims[0].iban and (suspect_at is not None or to_company) and rng.random() < 0.2:
        payments.append(
            PaymentInput(
                payer_iban=victims[0].iban,
                beneficiary_person=suspect_at,
                beneficiary_company=0 if to_company else None,
                amount=f"{rng.randrange(50, 2000)},{rng.choice(['00', '50'])}",
                currency="EUR",
                paid_on=observed - timedelta(days=rng.randrange(0, 60)),
                purpose=rng.choice(PAYMENT_PURPOSES),
            )
        )
    return relations, payments


@dataclass
class DemoSignals:
    created: int = 0
    truth_file: Path | None = None


def _org_users(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(organisation=organisation, is_active=True)
        .exclude(role_set__role=Role.FRONT_DESK)
        .order_by("pk")
    )


def received_after(rng: random.Random, observed: date, now: datetime) -> datetime:
    """When a partner took in a signal of what was seen on ``observed``: mostly within days,
    sometimes weeks later; in office hours, and never after ``now``."""
    delay = min(int(rng.expovariate(1 / 4)), 60)
    when = timezone.make_aware(
        datetime.combine(observed + timedelta(days=delay), time(8 + rng.randrange(10))),
    ) + timedelta(minutes=rng.randrange(60), seconds=rng.randrange(60))
    return min(when, now - timedelta(minutes=rng.randrange(1, 60)))


def generate_signals(
    count: int, *, seed: int, progress: Any = None, truth_path: Path | None = None
) -> DemoSignals:
    """Create ``count`` synthetic signals through the real intake service."""
    rng = random.Random(seed * 7919 + 17)  # noqa: S311 - synthetic data, not security
    ties_rng = random.Random(seed * 7919 + 23)  # noqa: S311 - the same
    # When each signal was received: a generator of its own, so that what the signals say
    # stays the same for a seed.
    received_rng = random.Random(seed * 7919 + 37)  # noqa: S311 - the same
    now = timezone.now()
    the_catalogue = catalogue()
    truth = build_truth(
        rng,
        max(20, count // 3),
        names=random.Random(seed * 7919 + 29),  # noqa: S311 - the same
    )
    build_situations(random.Random(seed * 7919 + 31), truth)  # noqa: S311 - the same
    # A situation is reported in proportion to the people in it.
    situations = [s for s in truth.situations if s.victims]
    reported = list(itertools.accumulate(len(s.victims) + len(s.suspects) for s in situations))
    groups = list(SharingGroup.objects.prefetch_related("members"))
    reporters = [
        (org, users)
        for org in Organisation.objects.filter(group_memberships__isnull=False)
        .distinct()
        .order_by("pk")
        if (users := _org_users(org))
    ]
    municipalities = list(
        Region.objects.filter(kind=RegionKind.MUNICIPALITY).values_list("code", flat=True)
    )
    truth_path = truth_path or Path(settings.DATA_DIR) / "demo-truth.jsonl"
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    result = DemoSignals(truth_file=truth_path)
    steps: Iterator[int] = progress("signals", count) if progress else iter(range(count))
    # Signals wait per submitter and are written in batches through the same writer as every
    # intake channel (validated first, like any other signal): a million takes minutes.
    pending: dict[int, list[tuple[ToWrite, dict[str, Any]]]] = defaultdict(list)
    submitters: dict[int, User] = {}

    def flush(user_id: int) -> None:
        batch = pending.pop(user_id, [])
        if not batch:
            return
        written = write_signals(
            [item for item, _ in batch],
            submitted_by=submitters[user_id],
            channel=rng.choice([Channel.FULL_FORM, Channel.API]),
        )
        for signal, (_, truth_line) in zip(written, batch, strict=True):
            truth_out.write(json.dumps({"signal": signal.reference, **truth_line}) + "\n")
        result.created += len(written)

    with truth_path.open("w", encoding="utf-8") as truth_out:
        for _ in steps:
            organisation, users = rng.choice(reporters)
            situation = rng.choices(situations, cum_weights=reported)[0]
            form, descriptions = SCENARIOS[situation.scenario]
            indicators = [i.id for i in the_catalogue.for_form(form) if not i.deprecated]
            coercion = [i.id for i in the_catalogue.by_group().get("ilo_forced_labour", ())]
            chosen = rng.sample(indicators, k=min(len(indicators), rng.randint(0, 3)))
            chosen += rng.sample(coercion, k=rng.randint(0, 2))
            victims = rng.sample(
                situation.victims, k=min(len(situation.victims), rng.randint(1, 2))
            )
            suspect = rng.choice(situation.suspects) if rng.random() < 0.5 else None
            observed = today - timedelta(days=rng.randrange(1, 400))
            persons, mention_truth = [], []
            for person in victims:
                given, family = spell(rng, person)
                persons.append(
                    PersonInput(
                        role="possible_victim",
                        given_names=given,
                        family_name=family,
                        date_of_birth=person.born,
                        nationality=person.country,
                        gender=_gender(rng, person),
                        phones=[phone_as_typed(rng, person.phone_digits)]
                        if rng.random() < 0.6
                        else [],
                    )
                )
                mention_truth.append(("person", person.identity))
            if suspect is not None:
                # What is known of a suspect is thinner: a name, sometimes more.
                given, family = spell(rng, suspect)
                persons.append(
                    PersonInput(
                        role="suspect",
                        given_names=given,
                        family_name=family,
                        date_of_birth=suspect.born if rng.random() < 0.4 else None,
                        nationality=suspect.country if rng.random() < 0.5 else "",
                        phones=[phone_as_typed(rng, suspect.phone_digits)]
                        if rng.random() < 0.3
                        else [],
                    )
                )
                mention_truth.append(("person", suspect.identity))
            company = (
                rng.choice(situation.companies)
                if situation.companies and rng.random() < 0.6
                else None
            )
            address = rng.choice(situation.addresses) if rng.random() < 0.5 else None
            member_groups = [
                g for g in groups if any(m.pk == organisation.pk for m in g.members.all())
            ]
            tlp = rng.choices([Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT], [2, 6, 1])[0]
            relations, payments = ties_for(
                ties_rng,
                victims=victims,
                suspect=suspect,
                company=company is not None,
                observed=observed,
            )
            data = SignalInput(
                description=rng.choice(descriptions),
                observed_on=observed,
                municipality=rng.choice(municipalities),
                forms_of_exploitation=[form],
                indicator_ids=sorted(set(chosen)),
                tlp=tlp,
                purpose=rng.choices(
                    ["signal_table_assessment", "care_referral", "criminal_investigation"],
                    [6, 2, 1],
                )[0],
                sharing_group_ids=[g.pk for g in member_groups[:1]],
                persons=persons,
                companies=[
                    CompanyInput(
                        name=company[1]
                        if rng.random() < 0.7
                        else company[1].replace(" B.V.", " BV"),
                        registration_number=company[2],
                    )
                ]
                if company
                else [],
                addresses=[
                    AddressInput(
                        street=address[1],
                        house_number=address[2],
                        postcode=address[3],
                        city=address[4],
                        is_place_of_observation=True,
                    )
                ]
                if address
                else [],
                ibans=[victims[0].iban] if victims[0].iban and rng.random() < 0.5 else [],
                relations=relations,
                payments=payments,
            )
            user = rng.choice(users)
            submitters[user.pk] = user
            clean = validate_signal(data, owner=organisation, channel=Channel.FULL_FORM)
            pending[user.pk].append(
                (
                    ToWrite(clean, received_at=received_after(received_rng, observed, now)),
                    {
                        "persons": [
                            identity for kind, identity in mention_truth if kind == "person"
                        ],
                        "company": company[0] if company else None,
                        "address": address[0] if address else None,
                    },
                )
            )
            if len(pending[user.pk]) >= BATCH_SIZE:
                flush(user.pk)
        for user_id in sorted(pending):
            flush(user_id)
    return result
