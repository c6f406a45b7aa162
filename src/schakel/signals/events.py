"""Events of the signals context, for contexts above to subscribe to."""

from __future__ import annotations

from django.dispatch import Signal as Event

#: Sent after a signal's transaction commits: ``signal_committed.send(sender=Signal,
#: record=<Signal>)`` (not ``signal=``: Django's dispatcher passes itself under that name).
#: Higher contexts (entities, alerts) subscribe; intake never waits for them.
signal_committed = Event()

#: Sent once per written batch after its transaction commits, beside ``signal_committed`` for
#: each signal: ``signals_committed.send(sender=Signal, records=[<Signal>, ...])``. For
#: subscribers that work in batches (entities: one background job per batch, not per row
#: of a 100,000-row import).
signals_committed = Event()

#: Sent *inside* the transaction that writes a batch of signals, before it commits:
#: ``signals_written.send(sender=Signal, records=[<Signal>, ...])``. For work that must commit
#: or roll back with the signals — queueing a background job, so that no committed signal is
#: ever without its job, and no job outlives a rolled-back signal. A failing receiver fails
#: the write. ``statements`` is the batch's ``schakel.rows.Deferred`` block, or None: a
#: receiver may hold its INSERTs in it, to be sent with the batch's rows.
signals_written = Event()

#: Sent *inside* the retention transaction, before expired signals are anonymised or deleted:
#: ``signals_forgotten.send(sender=Signal, ids=[<signal id>, ...])``. A context above that
#: copied personal data out of the signals (entities: mentions, keys, pairs, entity names)
#: removes its copies in the same transaction, so that nothing outlives the signal's own
#: rows. A failing receiver fails the batch: nothing of it is forgotten half. A receiver may
#: return what it removed as ``{object type: count}`` (``{"signaltable.decision": 2}``); the
#: retention run adds these up for its report.
signals_forgotten = Event()

#: Sent by a dry run of retention, once, instead of ``signals_forgotten``:
#: ``signals_to_forget.send(sender=Signal, ids=<a query of every expired signal's id>)`` (a
#: ``values("pk")`` queryset: filter with ``signal_id__in=ids``; a first run may find a great
#: many). A receiver changes nothing and returns what it would remove, as ``{object type:
#: count}``, for the dry run's report. All ids at once: what depends on several signals being
#: forgotten together (a table decision about a bundle) is counted as the real run will do it.
signals_to_forget = Event()
