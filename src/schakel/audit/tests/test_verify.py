from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone, translation

from schakel.audit import services, verification
from schakel.audit.models import AuditEntry, AuditHead

from .conftest import Tamper

pytestmark = pytest.mark.django_db

Chain = Callable[[int], list[AuditEntry]]


def _problem(checkpoint: dict[str, Any] | None = None) -> verification.Problem:
    with translation.override("en"):
        report = services.verify(checkpoint)
    assert not report.ok, report
    assert report.problem is not None
    return report.problem


def _shift_positions_from(tamper: Tamper, first: int, by: int) -> None:
    # Two steps, because unique keys are checked row by row while an UPDATE runs.
    tamper(
        "UPDATE audit_auditentry SET position = position + 1000000 WHERE position >= %s", [first]
    )
    tamper(
        "UPDATE audit_auditentry SET position = position - 1000000 + %s WHERE position >= 1000000",
        [by],
    )


def test_an_empty_log_is_intact(db: Any) -> None:
    report = services.verify()

    assert report.ok
    assert (report.entries, report.head_position) == (0, 0)


def test_an_untouched_log_is_intact(chain: Chain) -> None:
    entries = chain(20)

    report = services.verify()

    assert report.ok
    assert (report.entries, report.head_position, report.head_hmac) == (20, 20, entries[-1].hmac)
    with translation.override("en"):
        assert report.summary() == "intact: 20 entries, head at position 20"


@pytest.mark.parametrize("position", [1, 9, 17])
def test_it_names_an_altered_entry(chain: Chain, tamper: Tamper, position: int) -> None:
    chain(20)
    tamper("UPDATE audit_auditentry SET action = 'read' WHERE position = %s", [position])

    problem = _problem()

    assert (problem.kind, problem.position) == ("altered", position)
    assert problem.message == f"entry {position} was altered"


def test_it_names_an_altered_entry_whose_hmac_was_replaced_as_well(
    chain: Chain, tamper: Tamper
) -> None:
    chain(20)
    tamper("UPDATE audit_auditentry SET actor_id = 99, hmac = %s WHERE position = 17", ["a" * 64])

    assert (_problem().kind, _problem().position) == ("altered", 17)


def test_it_names_the_last_entry_when_it_was_altered(chain: Chain, tamper: Tamper) -> None:
    chain(5)
    tamper("UPDATE audit_auditentry SET purpose = 'curiosity' WHERE position = 5")

    problem = _problem()

    assert (problem.kind, problem.position) == ("altered", 5)


def test_it_names_a_forged_entry_put_in_the_middle(chain: Chain, tamper: Tamper) -> None:
    entries = chain(20)
    _shift_positions_from(tamper, 17, by=1)
    # Inserts are allowed (it is a log): the forger copies the link but cannot sign.
    AuditEntry.objects.create(
        position=17,
        at=timezone.now(),
        action="read",
        object_type="test.thing",
        object_ids=[1],
        prev_hmac=entries[15].hmac,
        hmac="f" * 64,
    )

    problem = _problem()

    assert (problem.kind, problem.position) == ("inserted", 17)
    assert problem.message == "entry 17 was inserted"


def test_it_names_a_forged_entry_appended_at_the_end(chain: Chain) -> None:
    entries = chain(5)
    AuditEntry.objects.create(
        position=6,
        at=timezone.now(),
        action="login",
        actor_id=1,
        prev_hmac=entries[-1].hmac,
        hmac="f" * 64,
    )

    problem = _problem()

    assert (problem.kind, problem.position) == ("inserted", 6)


def test_it_names_a_deleted_middle_entry(chain: Chain, tamper: Tamper) -> None:
    chain(20)
    tamper("DELETE FROM audit_auditentry WHERE position = 17")

    problem = _problem()

    assert (problem.kind, problem.position) == ("deleted", 17)
    assert problem.message == "an entry between 16 and 18 was deleted"


def test_it_counts_several_deleted_entries(chain: Chain, tamper: Tamper) -> None:
    chain(20)
    tamper("DELETE FROM audit_auditentry WHERE position BETWEEN 5 AND 7")

    problem = _problem()

    assert (problem.kind, problem.position) == ("deleted", 5)
    assert problem.message == "3 entries between 4 and 8 were deleted"


def test_it_names_the_first_entry_when_it_was_deleted(chain: Chain, tamper: Tamper) -> None:
    chain(3)
    tamper("DELETE FROM audit_auditentry WHERE position = 1")

    assert (_problem().kind, _problem().position) == ("deleted", 1)


def test_it_names_a_deleted_entry_when_the_later_ones_were_renumbered(
    chain: Chain, tamper: Tamper
) -> None:
    chain(20)
    tamper("DELETE FROM audit_auditentry WHERE position = 17")
    _shift_positions_from(tamper, 18, by=-1)
    AuditHead.objects.update(position=19)

    problem = _problem()

    assert (problem.kind, problem.position) == ("deleted", 17)


def test_only_the_checkpoint_catches_a_truncated_tail(chain: Chain, tamper: Tamper) -> None:
    entries = chain(20)
    kept = services.checkpoint()
    assert kept["position"] == 20
    # A careful intruder removes the last entries and moves the head back to match.
    tamper("DELETE FROM audit_auditentry WHERE position > 15")
    AuditHead.objects.update(position=15, hmac=entries[14].hmac)

    assert services.verify().ok
    problem = _problem(kept)

    assert (problem.kind, problem.position) == ("truncated", 16)
    assert "entries 16 to 20 are missing" in problem.message


def test_the_head_catches_a_truncated_tail_when_it_was_left_alone(
    chain: Chain, tamper: Tamper
) -> None:
    chain(20)
    tamper("DELETE FROM audit_auditentry WHERE position > 15")

    assert (_problem().kind, _problem().position) == ("truncated", 16)


def test_a_checkpoint_passes_when_the_log_has_grown_since(chain: Chain) -> None:
    chain(5)
    kept = services.checkpoint()
    chain(5)

    report = services.verify(kept)

    assert report.ok
    assert (report.entries, report.checkpoint_position) == (10, 5)


def test_a_checkpoint_detects_a_log_rewritten_by_a_key_holder(chain: Chain) -> None:
    chain(5)
    kept = services.checkpoint()
    # A rewritten history is internally consistent; only the outside record differs.
    kept["hmac"] = "0123456789abcdef" * 4

    problem = _problem(kept)

    assert (problem.kind, problem.position) == ("checkpoint", 5)


def test_it_refuses_a_malformed_checkpoint(chain: Chain) -> None:
    with pytest.raises(ValueError, match="position"):
        services.verify({"position": "twenty", "hmac": "0" * 64})
    with pytest.raises(ValueError, match="hmac"):
        services.verify({"position": 3})


def test_it_reports_only_the_first_problem(chain: Chain, tamper: Tamper) -> None:
    chain(20)
    tamper("UPDATE audit_auditentry SET action = 'x' WHERE position IN (8, 12)")
    tamper("DELETE FROM audit_auditentry WHERE position = 15")

    report = services.verify()

    assert report.problem is not None
    assert (report.problem.kind, report.problem.position) == ("altered", 8)
    assert (report.entries, report.head_position) == (7, 7)


def test_another_key_fails_from_the_first_entry(chain: Chain, settings: Any) -> None:
    chain(3)
    settings.SCHAKEL_AUDIT_KEY = "not the key the log was written with"

    assert (_problem().kind, _problem().position) == ("altered", 1)


def test_it_streams_across_chunk_boundaries(
    chain: Chain, tamper: Tamper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verification, "CHUNK_SIZE", 3)
    chain(10)
    assert services.verify().entries == 10

    tamper("DELETE FROM audit_auditentry WHERE position = 7")

    assert (_problem().kind, _problem().position) == ("deleted", 7)
