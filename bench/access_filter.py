"""How fast the access policy filters lists and checks objects as the chain grows.

Target (foundation): a task list page's query, filtered by the policy, stays under 50 ms p95
with 2,000 organisations, 6,000 users and 100,000 tasks on SQLite; one object check under 1 ms.
"""

from __future__ import annotations

import random
import sys
import time

from _django import setup, timed


def main() -> int:
    machine = setup()
    from schakel.access import policy
    from schakel.demo.generator import generate
    from schakel.partners.models import Organisation, SharingGroup, User
    from schakel.tasks.models import Task
    from schakel.tasks.services import organisation_tasks

    organisations = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    tasks_total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    start = time.perf_counter()
    generate("large", seed=1, organisations=organisations)
    orgs = list(Organisation.objects.values_list("pk", flat=True))
    rng = random.Random(1)
    Task.objects.bulk_create(
        [
            Task(owner_organisation_id=rng.choice(orgs), title=f"Task {i}")
            for i in range(tasks_total)
        ],
        batch_size=5000,
    )
    print(f"machine: {machine}")
    print(
        f"data: {Organisation.objects.count()} organisations, {User.objects.count()} users, "
        f"{Task.objects.count()} tasks (built in {time.perf_counter() - start:.1f} s)"
    )

    users = list(User.objects.filter(organisation__isnull=False).order_by("?")[:50])
    for user in users:
        policy.viewer_for(user)  # resolved once per request in real use

    def task_page() -> None:
        user = rng.choice(users)
        list(organisation_tasks(user, status=None)[:50])

    def user_list() -> None:
        user = rng.choice(users)
        list(policy.visible(user, User.objects.all())[:100])

    def group_list() -> None:
        list(policy.visible(rng.choice(users), SharingGroup.objects.all()))

    sample_tasks = list(Task.objects.order_by("?")[:200])

    def object_check() -> None:
        policy.can(rng.choice(users), "view", rng.choice(sample_tasks))

    for name, function, repeat in (
        ("task list page query (50 rows)", task_page, 300),
        ("colleague list (100 rows)", user_list, 300),
        ("sharing groups", group_list, 300),
        ("object check can()", object_check, 3000),
    ):
        print(f"{name}: {timed(function, repeat)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
