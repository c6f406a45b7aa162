"""Server time of the foundation's pages through the whole middleware stack (session, second
factor, access policy, audit entry), on the large demo data.

Target (foundation): home page and task list under 100 ms p95 on one core.
"""

from __future__ import annotations

import random
import sys

from _django import setup, timed


def main() -> int:
    machine = setup()
    from django.test import Client

    from schakel.demo.generator import generate
    from schakel.partners.models import Organisation, User
    from schakel.tasks.models import Task
    from schakel.testing.personas import login

    organisations = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    generate("large", seed=1, organisations=organisations)
    orgs = list(Organisation.objects.values_list("pk", flat=True))
    rng = random.Random(2)
    Task.objects.bulk_create(
        [Task(owner_organisation_id=rng.choice(orgs), title=f"Task {i}") for i in range(100_000)],
        batch_size=5000,
    )
    coordinator = User.objects.get(username="zorgcoordinator")
    Task.objects.bulk_create(
        [Task(owner_organisation=coordinator.organisation, title=f"Ours {i}") for i in range(200)]
    )
    client = login(Client(SERVER_NAME="localhost"), coordinator)
    print(f"machine: {machine}")
    print(
        f"data: {Organisation.objects.count()} organisations, {User.objects.count()} users, "
        f"{Task.objects.count()} tasks"
    )
    for name, path in (
        ("home", "/"),
        ("task list (50 of 200)", "/tasks/"),
        ("users (org admin)", None),
    ):
        if path is None:
            admin = User.objects.get(username="beheerder-breda")
            client = login(Client(SERVER_NAME="localhost"), admin)
            path = "/organisation/users/"

        def get(path: str = path, client: Client = client) -> None:
            response = client.get(path)
            assert response.status_code == 200, response.status_code

        print(f"{name}: {timed(get, 200)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
