"""Recompute the audit chain and name the first place where it was tampered with.

Verification only reads: it never repairs, re-signs or removes anything, so that its report
and the database stay evidence. It streams the entries in position order with one entry of
look-ahead, so memory stays flat for millions of entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _

from schakel.audit import chain
from schakel.audit.models import CHAINED_FIELDS, AuditEntry, AuditHead

ProblemKind = Literal["altered", "inserted", "deleted", "broken", "truncated", "checkpoint", "head"]

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Problem:
    """The first sign of tampering: what kind, at which position, in words."""

    kind: ProblemKind
    position: int
    message: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    """How many entries were checked and found intact (up to the first problem)."""
    head_position: int
    """The position of the last intact entry (0 for an empty log)."""
    head_hmac: str
    problem: Problem | None = None
    checkpoint_position: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is not None:
            return _("TAMPERED: %(message)s (checked %(entries)d intact entries before it)") % {
                "message": self.problem.message,
                "entries": self.entries,
            }
        text = _("intact: %(entries)d entries, head at position %(position)d") % {
            "entries": self.entries,
            "position": self.head_position,
        }
        if self.checkpoint_position is not None:
            text += "; " + _("checkpoint at position %(position)d matches") % {
                "position": self.checkpoint_position
            }
        return text


@dataclass(frozen=True)
class _Checkpoint:
    position: int
    hmac: str


def _parse_checkpoint(data: Mapping[str, Any]) -> _Checkpoint:
    position = data.get("position")
    digest = data.get("hmac")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValueError("a checkpoint needs a whole, non-negative 'position'")
    if not isinstance(digest, str) or len(digest) != 64:
        raise ValueError("a checkpoint needs a 64-character hexadecimal 'hmac'")
    return _Checkpoint(position, digest.lower())


def _entries() -> Iterator[dict[str, Any]]:
    yield from (
        AuditEntry.objects.order_by("position")
        .values(*CHAINED_FIELDS, "hmac")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _intact(entry: Mapping[str, Any], position: int | None = None) -> bool:
    fields = dict(entry) if position is None else {**entry, "position": position}
    return chain.same(chain.entry_hmac(fields), entry["hmac"])


def _deleted_between(before: int, after: int) -> Problem:
    missing = after - before - 1
    if before == 0:
        message = _("the first %(count)d entries, before %(after)d, were deleted")
        if missing == 1:
            message = _("the first entry was deleted")
    elif missing == 1:
        message = _("an entry between %(before)d and %(after)d was deleted")
    else:
        message = _("%(count)d entries between %(before)d and %(after)d were deleted")
    return Problem(
        "deleted", before + 1, message % {"before": before, "after": after, "count": missing}
    )


def _check(
    entry: Mapping[str, Any],
    following: Mapping[str, Any] | None,
    last_position: int,
    last_hmac: str,
    head_position: int | None,
) -> Problem | None:
    """The problem with ``entry`` given the last intact entry before it, if any."""
    position = int(entry["position"])
    links = chain.same(entry["prev_hmac"], last_hmac)
    if _intact(entry):
        # Only the key holder can have written this entry; what remains is whether it
        # still follows the last intact one.
        if links and position == last_position + 1:
            return None
        if position > last_position + 1 and not links:
            return _deleted_between(last_position, position)
        return Problem(
            "broken",
            position,
            _("entry %(position)d does not follow entry %(before)d: the chain is broken")
            % {"position": position, "before": last_position},
        )
    # The entry does not match its own HMAC. If the next entry skips it and links to the
    # last intact one, it was put in between; if it only checks out one place further on,
    # an entry before it was removed and the rest renumbered; otherwise it was changed.
    if following is not None and chain.same(following["prev_hmac"], last_hmac):
        return Problem(
            "inserted", position, _("entry %(position)d was inserted") % {"position": position}
        )
    if following is None and head_position is not None and position > head_position:
        return Problem(
            "inserted",
            position,
            _("entry %(position)d was inserted after the head of the chain (%(head)d)")
            % {"position": position, "head": head_position},
        )
    if not links and _intact(entry, position + 1):
        return Problem(
            "deleted",
            position,
            _("entry %(position)d was deleted and the entries after it renumbered")
            % {"position": position},
        )
    if following is None:
        # The last entry has no successor to tell a changed entry from a forged one.
        return Problem(
            "altered",
            position,
            _("entry %(position)d (the last) was altered or forged") % {"position": position},
        )
    return Problem(
        "altered", position, _("entry %(position)d was altered") % {"position": position}
    )


_PROGRESS_EVERY = 5000


def verify(
    checkpoint: Mapping[str, Any] | None = None,
    *,
    progress: Callable[[int, int | None], None] | None = None,
) -> VerifyReport:
    """Recompute the whole chain and report the first entry altered, inserted or deleted.

    With a ``checkpoint`` (``{"position", "hmac"}`` from :func:`services.checkpoint`,
    kept outside the database) it also detects entries missing after the checkpoint and a
    chain rewritten by someone holding the key. Raises ValueError for a malformed checkpoint.
    ``progress(done, total)`` is called every few thousand entries (for a progress bar).
    """
    mark = _parse_checkpoint(checkpoint) if checkpoint is not None else None
    # Read the head before the entries: every entry it counts is then in the snapshot the
    # entry query sees, and entries appended meanwhile simply verify as well.
    head = AuditHead.objects.filter(pk=AuditHead.SINGLETON_ID).values("position", "hmac").first()
    head_position = int(head["position"]) if head is not None else None

    count = 0
    last_position = 0
    last_hmac = chain.GENESIS_HMAC

    def report(problem: Problem | None = None) -> VerifyReport:
        return VerifyReport(
            entries=count,
            head_position=last_position,
            head_hmac=last_hmac,
            problem=problem,
            checkpoint_position=mark.position if mark is not None else None,
        )

    rows = _entries()
    entry = next(rows, None)
    while entry is not None:
        following = next(rows, None)
        problem = _check(entry, following, last_position, last_hmac, head_position)
        if problem is not None:
            return report(problem)
        position = int(entry["position"])
        if (
            mark is not None
            and position == mark.position
            and not chain.same(entry["hmac"], mark.hmac)
        ):
            return report(
                Problem(
                    "checkpoint",
                    position,
                    _(
                        "entry %(position)d differs from the checkpoint: the log was rewritten "
                        "after the checkpoint was taken, or the checkpoint is from another "
                        "installation"
                    )
                    % {"position": position},
                )
            )
        count += 1
        last_position = position
        last_hmac = str(entry["hmac"])
        entry = following
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress(count, head_position)

    if mark is not None and last_position < mark.position:
        return report(
            Problem(
                "truncated",
                last_position + 1,
                _(
                    "entries %(first)d to %(last)d are missing: the log ends at %(end)d but the "
                    "checkpoint records position %(last)d"
                )
                % {"first": last_position + 1, "last": mark.position, "end": last_position},
            )
        )
    if mark is not None and mark.position == 0 and not chain.same(mark.hmac, chain.GENESIS_HMAC):
        return report(Problem("checkpoint", 0, _("the checkpoint does not belong to this log")))
    if head is not None and head_position is not None and last_position < head_position:
        return report(
            Problem(
                "truncated",
                last_position + 1,
                _(
                    "entries %(first)d to %(last)d are missing: the log ends at %(end)d but its "
                    "head records position %(last)d"
                )
                % {"first": last_position + 1, "last": head_position, "end": last_position},
            )
        )
    if (
        head is not None
        and head_position == last_position
        and not chain.same(str(head["hmac"]), last_hmac)
    ):
        return report(
            Problem(
                "head",
                last_position,
                _("the head of the chain does not match entry %(position)d")
                % {"position": last_position},
            )
        )
    return report()
