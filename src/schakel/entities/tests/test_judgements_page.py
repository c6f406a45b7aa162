"""Analysts' judgements on the entity page: listed with who, when, the model's probability then
and why, only where the user may see both records in full; withdrawn from the page (a new
record, audited, the entities regrouped at once), once, with a reason; the outsider gets 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.entities import review
from schakel.entities.models import Judgement, LinkageRun, Mention
from schakel.entities.services import resolve_signals
from schakel.entities.tests.factories import finished_batch_run, suggest, suspect_mention
from schakel.errors import Conflict, NotFound
from schakel.partners.models import User
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World, login

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]

REASON = "Different fathers' names in the two files."


@pytest.fixture
def run() -> LinkageRun:
    return finished_batch_run(0.9)


def _entity_of(mention: Mention) -> int:
    mention.refresh_from_db(fields=["entity"])
    assert mention.entity_id is not None
    return mention.entity_id


def _victim(world: World) -> Mention:
    """A possible victim in a care coordinator's signal: care details, which the police
    analyst does not see in full."""
    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    resolve_signals([signal.pk])
    return Mention.objects.get(signal=signal, role="possible_victim")


def _split_by_the_page(
    world: World, run: LinkageRun, signed_in: SignIn
) -> tuple[Mention, Mention, Judgement, Client]:
    """Two records the model joins (0.99), split on the entity page by the police analyst."""
    a = suspect_mention(world, "Marius")
    b = suspect_mention(world, "Marius", author="police_analyst")
    suggest(run, a, b, 0.99)
    review.resolve_around([a, b])
    entity = _entity_of(a)
    assert entity == _entity_of(b)
    client = signed_in(world.users["police_analyst"])
    response = client.post(
        reverse("entity_split", args=[entity]), {"mention": b.pk, "reason": REASON}
    )
    assert response.status_code == 302
    assert _entity_of(a) != _entity_of(b)
    return a, b, Judgement.objects.get(verdict="not_same"), client


def _withdraw_url(judgement: Judgement) -> str:
    return reverse("entity_judgement_withdraw", args=[judgement.pk])


def test_the_entity_page_lists_the_judgements_on_its_records(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b, judgement, client = _split_by_the_page(world, run, signed_in)
    # On both entities' pages: the judgement names a record of each.
    for mention in (a, b):
        html = client.get(reverse("entity_detail", args=[_entity_of(mention)])).content.decode()
        assert html.count('data-testid="judgement"') == 1
        assert REASON.replace("'", "&#x27;") in html
        assert a.signal.reference in html and b.signal.reference in html
        assert "Politie Zeeland-West-Brabant" in html  # who judged: user and organisation
        assert "Piet Politie" in html
        assert _withdraw_url(judgement) in html


def test_the_page_shows_the_models_probability_then(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "Marious")
    suggestion = suggest(run, a, b, 0.55)
    review.judge(
        world.users["police_analyst"],
        a,
        b,
        "same",
        reason="Same date of entry and employer.",
        suggestion=suggestion,
    )
    html = (
        signed_in(world.users["police_analyst"])
        .get(reverse("entity_detail", args=[_entity_of(a)]))
        .content.decode()
    )
    assert 'data-testid="judgement"' in html and "Same date of entry and employer." in html
    assert "0.550" in html.replace(",", ".")


def test_a_judgement_on_a_record_the_user_may_not_see_is_not_shown(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    """The care coordinator joins a suspect with a possible victim; the police analyst sees
    the suspect (and so the entity) but not the victim's care details: nothing of the
    judgement reaches their page, the reason least of all."""
    suspect, victim = suspect_mention(world, "Marius"), _victim(world)
    secret = "She told the shelter her real name is the same."
    review.judge(world.users["care_coordinator"], suspect, victim, "same", reason=secret)
    entity = _entity_of(suspect)
    assert _entity_of(victim) == entity
    (judgement,) = Judgement.objects.all()

    care = signed_in(world.users["care_coordinator"])
    html = care.get(reverse("entity_detail", args=[entity])).content.decode()
    assert secret in html and 'data-testid="judgement"' in html

    police = signed_in(world.users["police_analyst"])
    page = police.get(reverse("entity_detail", args=[entity]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dragomir" in html  # the suspect is shown
    assert secret not in html
    assert 'data-testid="judgement"' not in html and 'data-testid="judgements"' not in html
    assert _withdraw_url(judgement) not in html
    # Nor may they withdraw it.
    assert police.get(_withdraw_url(judgement)).status_code == 404
    assert police.post(_withdraw_url(judgement), {"reason": "x"}).status_code == 404
    assert Judgement.objects.count() == 1


def test_withdrawing_on_the_page_regroups_at_once_and_appends_an_audited_record(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b, judgement, client = _split_by_the_page(world, run, signed_in)
    page = client.get(_withdraw_url(judgement))
    assert page.status_code == 200 and REASON.replace("'", "&#x27;") in page.content.decode()

    response = client.post(_withdraw_url(judgement), {"reason": "Wrong file opened."})
    assert response.status_code == 302
    # One entity again, as the model's pair says, at once.
    assert _entity_of(a) == _entity_of(b)
    assert response["Location"] == reverse("entity_detail", args=[_entity_of(a)])
    # Appended, not changed: the judgement stands as it was, the withdrawal points at it.
    judgement.refresh_from_db()
    assert (judgement.verdict, judgement.reason) == ("not_same", REASON)
    withdrawal = Judgement.objects.get(verdict="withdrawn")
    assert (withdrawal.withdraws, withdrawal.reason, withdrawal.judged_by) == (
        judgement,
        "Wrong file opened.",
        world.users["police_analyst"],
    )
    assert AuditEntry.objects.filter(action="judge_withdraw", object_ids=[withdrawal.pk]).exists()

    # The history stays readable: shown as withdrawn, with who and why, and no form.
    html = client.get(response["Location"]).content.decode()
    assert html.count('data-testid="judgement"') == 1
    assert 'data-testid="withdrawn-by"' in html and "Wrong file opened." in html
    assert REASON.replace("'", "&#x27;") in html
    assert _withdraw_url(judgement) not in html
    assert _withdraw_url(withdrawal) not in html


def test_a_withdrawal_needs_a_reason(world: World, run: LinkageRun, signed_in: SignIn) -> None:
    a, b, judgement, client = _split_by_the_page(world, run, signed_in)
    response = client.post(_withdraw_url(judgement), {"reason": "   "})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="reason-error"' in html and 'aria-invalid="true"' in html
    assert response.context["problem"]
    assert not Judgement.objects.filter(verdict="withdrawn").exists()
    assert _entity_of(a) != _entity_of(b)


def test_a_judgement_is_withdrawn_once(world: World, run: LinkageRun, signed_in: SignIn) -> None:
    a, b, judgement, client = _split_by_the_page(world, run, signed_in)
    assert client.post(_withdraw_url(judgement), {"reason": "Wrong file."}).status_code == 302
    withdrawal = Judgement.objects.get(verdict="withdrawn")

    again = client.post(_withdraw_url(judgement), {"reason": "Wrong file, really."})
    assert again.status_code == 409
    assert 'data-testid="not-withdrawable"' in again.content.decode()
    assert 'name="reason"' not in again.content.decode()
    # A withdrawal is not withdrawn in its turn either, and its page offers no form.
    assert client.post(_withdraw_url(withdrawal), {"reason": "Undo."}).status_code == 409
    page = client.get(_withdraw_url(withdrawal)).content.decode()
    assert 'data-testid="not-withdrawable"' in page and 'name="reason"' not in page
    with pytest.raises(Conflict):
        review.withdraw(world.users["police_analyst"], judgement, reason="Once more.")
    assert Judgement.objects.filter(verdict="withdrawn").count() == 1
    assert _entity_of(a) == _entity_of(b)


def test_a_withdrawn_same_is_no_longer_given_as_why_the_records_are_one(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "Marius", "Dragomir")
    suggestion = suggest(run, a, b, 0.95)
    judgement, _changes = review.judge(
        world.users["police_analyst"], a, b, "same", reason="Same file.", suggestion=suggestion
    )
    client = signed_in(world.users["police_analyst"])
    url = reverse("entity_detail", args=[_entity_of(a)])
    assert client.get(url).content.decode().count('data-testid="evidence"') == 2
    client.post(_withdraw_url(judgement), {"reason": "Judged the wrong pair."})
    # Still one by the model's pair alone.
    assert _entity_of(a) == _entity_of(b)
    assert client.get(url).content.decode().count('data-testid="evidence"') == 1


def test_it_checks_access(world: World, run: LinkageRun, signed_in: SignIn) -> None:
    a, b, judgement, _client = _split_by_the_page(world, run, signed_in)
    # The outsider; the NGO worker and the front desk, who may see records but not judge.
    for name in ("outsider", "ngo_worker", "front_desk"):
        client = signed_in(world.users[name])
        assert client.get(_withdraw_url(judgement)).status_code == 404
        assert client.post(_withdraw_url(judgement), {"reason": "x"}).status_code == 404
    # A judgement that does not exist answers the same.
    police = signed_in(world.users["police_analyst"])
    assert (
        police.get(reverse("entity_judgement_withdraw", args=[judgement.pk + 99])).status_code
        == 404
    )
    assert police.get(reverse("entity_judgement_withdraw", args=[2**70])).status_code == 404
    assert Judgement.objects.count() == 1
    assert _entity_of(a) != _entity_of(b)


SPLIT_REASON = "Another man of the same family."


def _split_off_the_first(
    world: World, run: LinkageRun, records: list[Mention], by: str = "police_analyst"
) -> list[Judgement]:
    """``records``, each pair scored 0.99 by the model (one entity), and the first split off
    the rest by ``by`` on the entity page: one "not the same" judgement per record they see."""
    for i, left in enumerate(records):
        for right in records[i + 1 :]:
            suggest(run, left, right, 0.99)
    review.resolve_around(records)
    entity = _entity_of(records[0])
    assert {_entity_of(r) for r in records} == {entity}
    client = login(Client(), world.users[by])
    response = client.post(
        reverse("entity_split", args=[entity]),
        {"mention": records[0].pk, "reason": SPLIT_REASON},
    )
    assert response.status_code == 302
    return list(Judgement.objects.filter(verdict="not_same").order_by("pk"))


def _three_suspects(world: World) -> list[Mention]:
    """Three records of one suspect, from three organisations (the police analyst sees each
    in full)."""
    return [
        suspect_mention(world, "Marius"),
        suspect_mention(world, "Mario", author="police_analyst"),
        suspect_mention(world, "Mario", author="ngo_worker"),
    ]


def test_a_split_is_withdrawn_in_one_action(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    """Splitting one of three records off made two judgements; the withdraw page offers the
    whole split first, names the records it keeps apart, and withdrawing it makes the three
    one entity again: two withdrawal records, each audited."""
    records = _three_suspects(world)
    made = _split_off_the_first(world, run, records)
    assert len(made) == 2
    split_off, rest = records[0], records[1:]
    assert _entity_of(split_off) != _entity_of(rest[0]) == _entity_of(rest[1])

    client = signed_in(world.users["police_analyst"])
    page = client.get(_withdraw_url(made[0]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="split"' in html and 'data-testid="split-warning"' in html
    listed = html.split('data-testid="split-records"')[1].split("</ul>")[0]
    assert all(r.signal.reference in listed for r in rest)
    assert 'value="split" checked' in html  # the whole split, unless the analyst chooses
    # The entity page says it too, beside each judgement of the split.
    entity_page = client.get(reverse("entity_detail", args=[_entity_of(split_off)]))
    assert entity_page.content.decode().count('data-testid="split-note"') == 2

    response = client.post(
        _withdraw_url(made[0]), {"scope": "split", "reason": "The wrong family file."}
    )
    assert response.status_code == 302
    assert {_entity_of(r) for r in records} == {_entity_of(split_off)}
    assert response["Location"] == reverse("entity_detail", args=[_entity_of(split_off)])
    withdrawals = Judgement.objects.filter(verdict="withdrawn").order_by("pk")
    assert [w.withdraws_id for w in withdrawals] == [j.pk for j in made]
    assert {(w.reason, w.judged_by) for w in withdrawals} == {
        ("The wrong family file.", world.users["police_analyst"])
    }
    for withdrawal in withdrawals:
        assert AuditEntry.objects.filter(
            action="judge_withdraw", object_ids=[withdrawal.pk]
        ).exists()
    # Nothing of the split is left to withdraw.
    html = client.get(response["Location"]).content.decode()
    assert html.count('data-testid="withdrawn-by"') == 2
    assert 'data-testid="split-note"' not in html


def test_withdrawing_one_judgement_of_a_split_leaves_the_record_apart(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    """Still possible, and the page says plainly what it does: the judgement left standing
    keeps the record apart from the one it names, so the three are not one entity again."""
    records = _three_suspects(world)
    made = _split_off_the_first(world, run, records)
    client = signed_in(world.users["police_analyst"])
    html = client.get(_withdraw_url(made[0])).content.decode()
    warning = html.split('data-testid="split-warning"')[1].split("</p>")[0]
    # In the user's language (the personas read Dutch).
    assert "niet weer één entiteit zolang de andere blijven staan" in warning
    assert 'name="scope" value="one"' in html

    response = client.post(_withdraw_url(made[0]), {"scope": "one", "reason": "Wrong pair."})
    assert response.status_code == 302
    (withdrawal,) = Judgement.objects.filter(verdict="withdrawn")
    assert withdrawal.withdraws_id == made[0].pk
    assert not Judgement.objects.filter(withdraws=made[1]).exists()
    assert _entity_of(records[0]) != _entity_of(records[2])  # the judgement that stands
    assert len({_entity_of(r) for r in records}) == 2
    # The other judgement stands alone now: withdrawn on its own, as any judgement.
    page = client.get(_withdraw_url(made[1])).content.decode()
    assert 'data-testid="split"' not in page and 'name="scope"' not in page


def test_withdrawing_a_split_leaves_what_the_analyst_may_not_see(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    """The care coordinator splits a suspect's record off three others, one of them a possible
    victim's, whose care details the police analyst does not see: the police analyst is
    offered the split without it, and withdrawing the split leaves its judgement standing."""
    records = [
        suspect_mention(world, "Marius"),
        suspect_mention(world, "Mario"),
        suspect_mention(world, "Marin"),
    ]
    victim = _victim(world)
    made = _split_off_the_first(world, run, [*records, victim], by="care_coordinator")
    assert len(made) == 3
    (hidden,) = [j for j in made if j.right_id == victim.pk]
    seen = [j for j in made if j != hidden]

    police = signed_in(world.users["police_analyst"])
    html = police.get(_withdraw_url(seen[0])).content.decode()
    listed = html.split('data-testid="split-records"')[1].split("</ul>")[0]
    assert all(j.right.signal.reference in listed for j in seen)
    assert victim.signal.reference not in html
    assert police.get(_withdraw_url(hidden)).status_code == 404

    response = police.post(_withdraw_url(seen[0]), {"scope": "split", "reason": "Same man."})
    assert response.status_code == 302
    withdrawals = Judgement.objects.filter(verdict="withdrawn").order_by("pk")
    assert [w.withdraws_id for w in withdrawals] == [j.pk for j in seen]
    assert not Judgement.objects.filter(withdraws=hidden).exists()
    # Nor does the service withdraw it when asked for the judgement itself.
    with pytest.raises(NotFound):
        review.withdraw_split(world.users["police_analyst"], hidden, reason="Same man.")
    assert Judgement.objects.filter(verdict="withdrawn").count() == 2


def test_splits_judged_before_their_key_are_found_by_who_when_and_why(world: World) -> None:
    """Judgements of a split recorded before the split's key existed get one key from the
    migration (the same user, first record and reason, within a second); a judgement made on
    its own keeps none."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    a, b, c = (suspect_mention(world, name) for name in ("Marius", "Mario", "Marin"))
    review.resolve_around([a, b, c])
    analyst = world.users["police_analyst"]
    with time_machine.travel("2026-11-02 10:00:00", tick=False):
        review.judge(analyst, a, b, "not_same", reason=SPLIT_REASON)
    with time_machine.travel("2026-11-02 10:00:00.3", tick=False):
        review.judge(analyst, a, c, "not_same", reason=SPLIT_REASON)
    with time_machine.travel("2026-11-02 10:05:00", tick=False):
        review.judge(analyst, b, c, "not_same", reason=SPLIT_REASON)
        # The same pair again minutes later: a judgement of its own.
        review.judge(analyst, a, c, "not_same", reason=SPLIT_REASON)
    assert not Judgement.objects.exclude(split=None).exists()

    migration = import_module("schakel.entities.migrations.0014_judgement_split")
    migration.mark_earlier_splits(apps, SimpleNamespace(connection=connection))
    first, second, alone, again = Judgement.objects.order_by("pk")
    assert first.split is not None and first.split == second.split
    assert alone.split is None and again.split is None
