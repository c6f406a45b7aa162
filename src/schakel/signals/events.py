"""Events of the signals context, for contexts above to subscribe to."""

from __future__ import annotations

from django.dispatch import Signal as Event

#: Sent after a signal's transaction commits: ``signal_committed.send(sender=Signal,
#: record=<Signal>)`` (not ``signal=``: Django's dispatcher passes itself under that name).
#: Higher contexts (entities, alerts) subscribe; intake never waits for them.
signal_committed = Event()
