"""Records the entities' tests make often."""

from __future__ import annotations

from schakel.entities.models import LinkageRun, Mention, Suggestion
from schakel.entities.services import resolve_signals
from schakel.signals.intake import PersonInput
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World


def finished_batch_run(threshold: float, schema: str = "Person") -> LinkageRun:
    """A batch run of people (or ``schema``) that is done, at ``threshold`` (its review band
    from 0.5): what regrouping reads the pairs' threshold and start from."""
    return LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH,
        schema=schema,
        status=LinkageRun.Status.DONE,
        threshold=threshold,
        review_threshold=0.5,
    )


def suspect_mention(
    world: World, given: str, family: str = "Dragomir", author: str = "care_coordinator"
) -> Mention:
    """The mention of a suspect named in a signal of its own (table A), resolved."""
    signal = make_signal(
        world.users[author],
        groups=[world.table_a],
        persons=[PersonInput(role="suspect", given_names=given, family_name=family)],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    return Mention.objects.get(signal=signal)


def suggest(run: LinkageRun, left: Mention, right: Mention, probability: float) -> Suggestion:
    """The pair ``run`` scored at ``probability`` (linked from the run's threshold), with an
    explanation and the queue's priority, as a run writes it."""
    from schakel.entities import review

    left.refresh_from_db()
    right.refresh_from_db()
    return Suggestion.objects.create(
        left=left,
        right=right,
        run=run,
        probability=probability,
        match_weight=1.5,
        links=probability >= run.threshold,
        explanation=[{"comparison": "family_name", "label": "exact", "weight": 4.2}],
        priority=review.priority(probability, left.entity, right.entity),
    )
