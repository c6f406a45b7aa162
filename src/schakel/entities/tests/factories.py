"""Records the entities' tests make often."""

from __future__ import annotations

from schakel.entities.models import LinkageRun


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
