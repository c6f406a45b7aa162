"""Server time of a case page with 1,000 linked signals and 200 tasks.

Target (issue 5): the case page with 1,000 linked signals and 200 tasks in ≤ 150 ms server
time (p50 and p95 over at least 50 requests after warm-up, through Django's test client, as
the signals issue defines server time). Builds one case (the test personas' region A, led by
the municipality, Carla its care coordinator) through the real services from two signals,
then links 1,000 more signals of three organisations to it (bulk, as an import would leave
them) and gives its victim's plan 200 actions — each a task — through ``plans.add_action``.
The page is read by the care coordinator (everything) and by the police analyst at the table
(justice details; the care details redacted).

    python bench/case_page.py [signals] [tasks] [runs]
"""

from __future__ import annotations

import gc
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _django import setup, timed


def build(signal_count: int, task_count: int, seed: int = 1) -> dict[str, Any]:
    from schakel.cases import plans
    from schakel.cases.models import CaseSignal
    from schakel.cases.tests.plan_helpers import case_with_plan
    from schakel.signals.models import Signal
    from schakel.tasks.models import Priority
    from schakel.testing.personas import build_world

    rng = random.Random(seed)
    world = build_world()
    start = time.perf_counter()
    case, plan = case_with_plan(world)
    owners = [world.municipality_a, world.police_a, world.ngo_a]
    now = datetime.now(UTC)
    signals = [
        Signal(
            reference=f"S-2026-B{i + 1:06d}",
            owner_organisation=owners[i % 3],
            channel="bulk",
            description="Synthetisch signaal voor de benchmark.",
            forms_of_exploitation=[rng.choice(["labour", "sexual", "criminal"])],
            tlp=rng.choice(["AMBER", "AMBER", "GREEN"]),
            purpose="victim_protection",
            band=rng.choice(["discuss", "urgent", "monitor"]),
            received_at=now - timedelta(minutes=rng.randrange(60 * 24 * 60)),
        )
        for i in range(signal_count)
    ]
    Signal.objects.bulk_create(signals, batch_size=2000)
    made = list(
        Signal.objects.filter(reference__startswith="S-2026-B").values_list("pk", "reference")
    )
    through = Signal.sharing_groups.through
    through.objects.bulk_create(
        [through(signal_id=pk, sharinggroup_id=world.table_a.pk) for pk, _ref in made],
        batch_size=5000,
    )
    carla = world.users["care_coordinator"]
    CaseSignal.objects.bulk_create(
        [CaseSignal(case=case, signal_id=pk, reference=ref, added_by=carla) for pk, ref in made],
        batch_size=5000,
    )
    domains = ["shelter", "health", "legal_aid", "income", "safety", "residence"]
    organisations = [world.municipality_a, world.police_a, world.ngo_a]
    for i in range(task_count):
        plans.add_action(
            plan,
            domain=domains[i % len(domains)],
            description=f"Actie {i + 1} voor de benchmark",
            owner_organisation=organisations[i % 3],
            priority=rng.choice([Priority.NORMAL, Priority.HIGH]),
            actor=carla,
        )
    return {
        "world": world,
        "case": case,
        "built_s": time.perf_counter() - start,
    }


def main() -> int:
    machine = setup()
    from django.db import connection
    from django.test import Client

    from schakel.cases.models import CaseSignal, PlanAction
    from schakel.testing.personas import login

    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    signal_count = numbers[0] if numbers else 1_000
    task_count = numbers[1] if len(numbers) > 1 else 200
    runs = numbers[2] if len(numbers) > 2 else 60
    data = build(signal_count, task_count)
    world, case = data["world"], data["case"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    linked = CaseSignal.objects.filter(case=case).count()
    actions = PlanAction.objects.filter(plan__case=case).count()
    print(f"machine: {machine}")
    print(
        f"data: case {case.reference} with {linked} linked signals and {actions} plan actions "
        f"(each a task); built in {data['built_s']:.1f} s"
    )
    assert linked >= signal_count and actions >= task_count
    clients = {
        who: login(Client(SERVER_NAME="localhost"), world.users[who])
        for who in ("care_coordinator", "police_analyst")
    }
    path = f"/cases/{case.pk}/"

    def page(who: str) -> Any:
        def get() -> None:
            response = clients[who].get(path)
            assert response.status_code == 200, response.status_code

        return get

    for name, function in (
        ("case page, care coordinator (everything)", page("care_coordinator")),
        ("case page, police analyst (care details redacted)", page("police_analyst")),
    ):
        for _ in range(5):  # warm-up
            function()
        print(f"{name}: {timed(function, runs)}")
    gc.freeze()
    print(
        "case page, care coordinator, start-up heap frozen: "
        f"{timed(page('care_coordinator'), runs)}"
    )
    gc.unfreeze()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
