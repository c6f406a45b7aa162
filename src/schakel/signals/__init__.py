"""Signals: intake by every partner, indicators, explainable triage, sharing under the policy.

Public surface: ``schakel.signals.services`` (create_signal, retriage_signal, overrule_band,
visible_signals), ``schakel.signals.models`` (Signal and its mentions), the rules in
``schakel.signals.rules`` (vocabularies, the indicator catalogue, the triage model), and
``schakel.signals.intake.row_ids`` (which values of a form or file can be ids of stored rows).
"""
