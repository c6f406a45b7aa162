"""Server time of an organisation's task list with 5,000 open tasks.

Target (issue 5): an organisation's task list with 5,000 open tasks in ≤ 200 ms server time
(p50 and p95 over at least 50 requests after warm-up, through Django's test client). Gives
the municipality of the test personas' region A 5,000 open tasks (and 2,000 done or cancelled
ones, which the default list leaves out) spread over 250 case files, due dates from a month
ago to two months ahead (so about a third overdue), a quarter of them assigned to a person.
Measured: the default list ("open"), the overdue filter, one case file's tasks, and "mine".

    python bench/task_list.py [open_tasks] [runs]
"""

from __future__ import annotations

import gc
import random
import sys
import time
from datetime import timedelta
from typing import Any

from _django import setup, timed


def build(open_tasks: int, seed: int = 1) -> dict[str, Any]:
    from django.utils import timezone

    from schakel.tasks.models import Priority, Status, Task
    from schakel.testing.personas import build_world

    rng = random.Random(seed)
    world = build_world()
    start = time.perf_counter()
    organisation = world.municipality_a
    people = [world.users["care_coordinator"], world.users["org_admin"]]
    today = timezone.localdate()
    closed = open_tasks * 2 // 5
    tasks = []
    for i in range(open_tasks + closed):
        status = (
            rng.choice([Status.OPEN, Status.OPEN, Status.IN_PROGRESS])
            if i < open_tasks
            else rng.choice([Status.DONE, Status.CANCELLED])
        )
        tasks.append(
            Task(
                owner_organisation=organisation,
                owner_user=people[i % 2] if rng.random() < 0.25 else None,
                title=f"Actie {i + 1} (zaak Z-{i % 250 + 1:05d})",
                description="Synthetische taak voor de benchmark.",
                due_date=today + timedelta(days=rng.randrange(-30, 60)),
                priority=rng.choice(Priority.values),
                status=status,
                reference=f"Z-{i % 250 + 1:05d}",
            )
        )
    Task.objects.bulk_create(tasks, batch_size=5000)
    return {"world": world, "built_s": time.perf_counter() - start}


def main() -> int:
    machine = setup()
    from django.db import connection
    from django.test import Client

    from schakel.tasks.models import OPEN_STATUSES, Task
    from schakel.testing.personas import login

    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    open_tasks = numbers[0] if numbers else 5_000
    runs = numbers[1] if len(numbers) > 1 else 60
    data = build(open_tasks)
    world = data["world"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    count = Task.objects.filter(
        owner_organisation=world.municipality_a, status__in=OPEN_STATUSES
    ).count()
    print(f"machine: {machine}")
    print(f"data: {count} open tasks of one organisation; built in {data['built_s']:.1f} s")
    assert count >= open_tasks
    client = login(Client(SERVER_NAME="localhost"), world.users["care_coordinator"])

    def page(query: str) -> Any:
        def get() -> None:
            response = client.get(f"/tasks/{query}")
            assert response.status_code == 200, response.status_code

        return get

    for name, function in (
        ("task list, open (first page of 50)", page("")),
        ("task list, open, page 40", page("?status=open&page=40")),
        ("task list, overdue", page("?status=open&due=overdue")),
        ("task list, one case file", page("?status=open&reference=Z-00042")),
        ("task list, mine", page("?status=open&mine=on")),
    ):
        for _ in range(5):  # warm-up
            function()
        print(f"{name}: {timed(function, runs)}")
    gc.freeze()
    print(f"task list, open, start-up heap frozen: {timed(page(''), runs)}")
    gc.unfreeze()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
