"""Cases: the people a case is for, the signals it grew from, its lead organisation (regie)
and care coordinator, and what was decided about each person — trafficking status,
migration status and the reflection period.

A case opens from a signal-table decision with the outcome *open a case* (this context
subscribes to ``schakel.signaltable.services.table_decision_recorded``; the table never
imports it) or directly by a coordinator. An open case holds its signals past their
retention date (``schakel.signals.retention.place_hold``).

Public surface for other apps:

* ``schakel.cases.services``: ``visible_cases``, ``open_case``, ``open_case_for_decision``,
  ``change_status``;
* ``schakel.cases.persons``: ``record_trafficking_status``, ``record_migration_status``,
  ``offer_reflection_period``;
* ``schakel.cases.reflection``: ``raise_reflection_reminders`` (also the periodic job
  ``reflection-reminders``);
* ``schakel.cases.vocabulary``: the statuses and their HTCDS v2.0 values;
* ``schakel.cases.plans``: the one plan per victim (``ensure_plan``, ``add_objective``,
  ``add_action`` — an action is a task of ``schakel.tasks`` —, ``record_review``,
  ``set_plan_status``, ``blockers_of``, ``is_minor``);
* ``schakel.cases.referrals``: structured requests (shelter placement, registration with
  CoMensha) generated from the case, and their answers;
* ``schakel.cases.escalation``: ``escalate_overdue_actions`` (also the periodic job
  ``plan-escalations``);
* ``schakel.cases.rules``: the plan's reviewed domains and deadlines;
* ``schakel.cases.handovers``: handing a case's lead or region to another organisation
  (``request_handover``, ``accept``, ``decline``, ``withdraw``, ``handovers_of``,
  ``open_handover``);
* ``schakel.cases.holds``: the Dublin transfer hold (``evaluate_person``, ``evaluate_case``,
  ``agree_to_lift``, ``active_hold``; also the periodic job ``transfer-holds``);
* ``schakel.cases.timeline``: ``build_timeline`` (a case's events as one viewer may see them;
  ``SOURCES`` lists where they come from);
* ``schakel.cases.national``: ``national_overview`` (counts per region, no personal data) and
  ``may_oversee``;
* ``schakel.cases.messages``: the secured line between the justice partners and the care
  coordinator (``send_message``, ``reply``, ``visible_messages``, ``present_message``);
* ``schakel.cases.consents``: a person's consent to share on it (``record_consent``,
  ``withdraw_consent``; HTCDS ``con_Consent``).
"""
