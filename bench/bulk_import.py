"""Bulk import throughput: a synthetic CSV of signals through ``import_signals``, the same
service the web job and ``schakel import`` call (reading, every row validated with the
intake's validator, then one transaction of batched writes).

Target (signals issue): a 100,000-row CSV at 5,000 rows/s or more.

    python bench/bulk_import.py [ROWS]        (default 100000; SQLite, or PostgreSQL with
                                              SCHAKEL_BENCH_DATABASE_URL)

The rows are made up here (names from the demo generator's synthetic lists, valid phone
numbers, IBANs and plates with random digits) in a mix that an intake registry would export:
every row has a description, a date, a municipality, a form of exploitation and one to three
indicators; many name a possible victim, some a suspect, an address, a company, phone
numbers, bank accounts or plates; half carry the partner's own id.
"""

from __future__ import annotations

import csv
import io
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from _django import setup

TODAY = date(2026, 11, 29)
FORMS = {
    "sexual": [
        "sexual.changing_locations",
        "sexual.no_control_over_money",
        "sexual.many_clients_long_hours",
        "ilo.debt_bondage",
    ],
    "labour": [
        "labour.lives_at_workplace",
        "labour.no_contract_or_payslip",
        "ilo.retention_of_identity_documents",
        "ilo.withholding_of_wages",
        "labour.high_deductions",
    ],
    "criminal": [
        "criminal.forced_to_commit_crimes",
        "criminal.drug_running",
        "criminal.money_mule",
        "ilo.intimidation_and_threats",
    ],
    "forced_begging": ["begging.organised_with_handler", "begging.hands_over_proceeds"],
}
SEEN = ["Bij de balie", "Tijdens een controle", "Via een melding", "Bij een huisbezoek"]
WHAT = [
    "woont met acht mensen boven de zaak",
    "heeft geen eigen paspoort",
    "moet schulden afbetalen aan de werkgever",
    "wordt elke dag opgehaald met een busje",
    "krijgt geen loon uitbetaald",
    "mag niet alleen naar buiten",
]
STREETS = ["Ginnekenweg", "Haagweg", "Markt", "Stationsstraat", "Kerkstraat", "Dorpsstraat"]
NATIONALITIES = ["RO", "BG", "PL", "NG", "UA", "NL", "VN", "ER"]
AGE_BANDS = ["age_12_17", "age_18_24", "age_25_34", "age_35_49", "age_50_plus"]
HEADER = [
    "external_id",
    "description",
    "observed_on",
    "municipality",
    "forms_of_exploitation",
    "indicator_ids",
    "tlp",
    "identity_withheld",
    "victim_given_names",
    "victim_family_name",
    "victim_date_of_birth",
    "victim_age_band",
    "victim_gender",
    "victim_nationality",
    "victim_phone",
    "suspect_given_names",
    "suspect_family_name",
    "company_name",
    "company_kvk",
    "address_street",
    "address_house_number",
    "address_postcode",
    "address_city",
    "phones",
    "ibans",
    "plates",
    "websites",
    "emails",
]


def iban(rng: random.Random) -> str:
    account = f"{rng.randrange(10**9, 10**10):010d}"
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO"])
    digits = "".join(str(int(c, 36)) for c in f"{bank}{account}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bank}{account}"


def make_csv(rows: int, municipalities: list[str], seed: int = 7) -> bytes:
    from schakel.demo.names import FIRST_NAMES, LAST_NAMES

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for number in range(rows):
        form = rng.choice(list(FORMS))
        row = dict.fromkeys(HEADER, "")
        row["external_id"] = f"REG-{number:07d}" if rng.random() < 0.5 else ""
        row["description"] = f"{rng.choice(SEEN)}: iemand {rng.choice(WHAT)} (melding {number})."
        observed = TODAY - timedelta(days=rng.randrange(1, 365))
        row["observed_on"] = (
            observed.isoformat() if rng.random() < 0.7 else observed.strftime("%d-%m-%Y")
        )
        row["municipality"] = rng.choice(municipalities)
        row["forms_of_exploitation"] = form
        row["indicator_ids"] = ";".join(rng.sample(FORMS[form], rng.randint(1, 2)))
        if rng.random() < 0.1:
            row["tlp"] = rng.choice(["GREEN", "AMBER", "AMBER+STRICT"])
        row["identity_withheld"] = "nee"
        if rng.random() < 0.6:
            row["victim_age_band"] = rng.choice(AGE_BANDS)
            row["victim_gender"] = rng.choice(["female", "male", "unknown"])
            row["victim_nationality"] = rng.choice(NATIONALITIES)
            if rng.random() < 0.5:
                row["victim_given_names"] = rng.choice(FIRST_NAMES)
                row["victim_family_name"] = rng.choice(LAST_NAMES)
                row["victim_date_of_birth"] = (
                    observed - timedelta(days=rng.randrange(18 * 365, 50 * 365))
                ).isoformat()
                row["victim_age_band"] = ""
            if rng.random() < 0.3:
                row["victim_phone"] = f"06 {rng.randint(10, 55)}{rng.randrange(10**5, 10**6)}"
        if rng.random() < 0.25:
            row["suspect_given_names"] = rng.choice(FIRST_NAMES)
            row["suspect_family_name"] = rng.choice(LAST_NAMES)
        if rng.random() < 0.15:
            row["company_name"] = f"{rng.choice(LAST_NAMES)} Uitzendbureau B.V."
            row["company_kvk"] = f"{rng.randrange(10**7, 10**8)}" if rng.random() < 0.5 else ""
        if rng.random() < 0.2:
            row["address_street"] = rng.choice(STREETS)
            row["address_house_number"] = str(rng.randint(1, 200))
            row["address_postcode"] = f"{rng.randint(1000, 9999)} {rng.choice(['AB', 'JA', 'KL'])}"
            row["address_city"] = "Breda"
        if rng.random() < 0.3:
            row["phones"] = f"+316{rng.randint(10, 55)}{rng.randrange(10**5, 10**6)}"
        if rng.random() < 0.1:
            row["ibans"] = iban(rng)
        if rng.random() < 0.1:
            row["plates"] = (
                f"{rng.randint(10, 99)}-{rng.choice(['ABC', 'XYZ', 'KLM'])}-{rng.randint(1, 9)}"
            )
        if rng.random() < 0.05:
            row["websites"] = f"https://advertenties.example/{number}"
        if rng.random() < 0.05:
            row["emails"] = f"info{number}@example.nl"
        writer.writerow(row.values())
    return out.getvalue().encode("utf-8")


def _server_cpu(connection: object) -> float | None:
    """CPU seconds of this connection's PostgreSQL server process, when it runs on this
    machine and may be read (None elsewhere)."""
    if getattr(connection, "vendor", "") != "postgresql":
        return None
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (the import's checking workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    rows = int(next((a for a in sys.argv[1:] if a.isdigit()), "100000"))
    machine = setup()
    import time_machine
    from django.db import connection

    from schakel.partners.models import Region
    from schakel.partners.vocabulary import RegionKind
    from schakel.signals.bulk.rows import ImportDefaults
    from schakel.signals.bulk.service import import_signals
    from schakel.signals.models import Signal
    from schakel.testing.personas import build_world

    world = build_world()
    for number in range(100, 160):
        Region.objects.create(
            code=f"GM0{number}",
            name=f"Gemeente {number}",
            kind=RegionKind.MUNICIPALITY,
            parent=world.region_a,
            country_code="NL",
        )
    municipalities = ["GM0758", *(f"GM0{n}" for n in range(100, 160))]
    user = world.users["care_coordinator"]
    data = make_csv(rows, municipalities)
    print(f"machine: {machine}")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"file: {rows:,} rows, {len(data) / 1024 / 1024:.1f} MB CSV")
    defaults = ImportDefaults(sharing_group_ids=(world.table_a.pk,))

    with time_machine.travel(TODAY, tick=True):
        for label in ("first import", "same file again"):
            phases: dict[str, float] = {}
            cpu_started = time.process_time()
            workers_started = _children_cpu()
            server_started = _server_cpu(connection)
            started = time.perf_counter()

            def progress(
                phase: str, done: int, total: int, phases: dict[str, float] = phases
            ) -> None:
                phases.setdefault(phase, time.perf_counter())

            outcome = import_signals(
                data,
                file_name="bench.csv",
                submitted_by=user,
                defaults=defaults,
                progress=progress,
            )
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            workers = _children_cpu() - workers_started
            server_now = _server_cpu(connection)
            server = (
                f"; the database server's: {server_now - server_started:.1f} s"
                if server_now is not None and server_started is not None
                else ""
            )
            assert outcome.ok, outcome.file_problems or outcome.problems[:5]
            marks = [*phases.items(), ("end", started + elapsed)]
            split = ", ".join(
                f"{name} {marks[i + 1][1] - at:.1f} s" for i, (name, at) in enumerate(marks[:-1])
            )
            print(
                f"{label}: {outcome.rows:,} rows in {elapsed:.1f} s = "
                f"{outcome.rows / elapsed:,.0f} rows/s (this process's CPU: {cpu:.1f} s = "
                f"{outcome.rows / cpu:,.0f} rows/s; its checking processes' CPU: {workers:.1f} s"
                f"{server}); "
                f"created {len(outcome.created):,}, "
                f"skipped {len(outcome.skipped):,} ({split})"
            )
    print(f"signals in the database: {Signal.objects.count():,} ({connection.vendor})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
