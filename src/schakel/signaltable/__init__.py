"""The signal table: meetings of a sharing group, the bundled agenda, decisions, minutes.

A sharing group that works as a signal table (signaaltafel) holds meetings. Its agenda is
proposed from the signals triaged *discuss* or *urgent* that are shared with the group and have
no table decision yet, bundled when they share a person, an address or an identifier. The chair
records a decision per bundle, with actions for partner organisations that are tasks.

Public surface:

* ``schakel.signaltable.services``: ``create_meeting``, ``update_meeting``, ``record_decision``,
  ``correct_decision``, ``tables_for``, ``current_decisions`` and the event
  ``table_decision_recorded``;
* ``schakel.signaltable.agenda``: ``propose_agenda`` (the bundled agenda as one viewer may
  see it), ``proposed_signals`` and ``present_bundles``;
* ``schakel.signaltable.bundling``: the ``Bundler`` protocol (``links(signal_ids) ->
  list[Link]``, each link naming the two signals, the kind and the value that joined them),
  ``EntityBundler`` (the default: signals that mention the same entity, as linkage and
  judgements resolved it; phone numbers and e-mail addresses by equality), ``ExactKeyBundler``
  (exact normalised keys; also the fallback for signals not yet resolved) and
  ``bundle_signals``.

Events: ``services.table_decision_recorded`` is sent after the transaction that records a
decision commits, as ``send(sender=Decision, decision=...)``; a correction is a new decision
whose ``supersedes`` names the one it replaces. Subscribers: the ``cases`` context (opens a case
for the outcome ``open_case``) and retention. Retention lives in ``signals``, which must not
import this app, so the decision hands each of its signals' outcome to
``schakel.signals.retention.record_outcome`` in its own transaction (a decision never stands
without its retention date), and retention work beyond that (holds for an open case) hangs on
the event. Nothing here imports a subscriber: the table never waits for them.

Retention reaches the table through ``schakel.signals.events.signals_forgotten`` (and
``signals_to_forget`` for a dry run's counts): ``forgetting`` removes a decision's free text,
its actions' titles and their tasks' texts once every signal of the decision is forgotten.

Dependencies point down only: this app reads ``signals``' models and presenter, creates tasks
through ``schakel.tasks.services`` and writes to the audit log; ``signals`` never imports it.
"""
