"""Rules of the signals context as reviewed data: vocabularies, indicators, triage.

Three YAML files with a JSON schema each, validated when loaded (see README.md beside this
module for reviewers). Public surface:

* ``schakel.signals.rules.vocabulary``: ``current()`` / ``load_vocabularies(path)`` ->
  ``Vocabularies`` with ``terms``, ``term``, ``codes``, ``label``, ``choices``, ``htcds``,
  ``is_minor_age_band``, ``age_band_for``;
* ``schakel.signals.rules.indicators``: ``catalogue()`` / ``load_catalogue(path)`` ->
  ``Catalogue`` with ``get``, ``all``, ``active``, ``ids``, ``by_group``, ``for_form``,
  ``version``; ``Indicator``;
* ``schakel.signals.rules.triage``: ``evaluate(facts, model=None)``, ``TriageFacts``,
  ``TriageResult`` (``as_dict`` / ``from_dict``), ``Reason``, ``current()``, ``load(path)``,
  ``load_version(version)``, ``TriageModel`` (``version``, ``bands``, ``band_label``,
  ``next_step``);
* ``schakel.signals.rules.errors``: ``RulesError`` (a ``KeyError`` and a ``SchakelError``) for
  unknown codes and ``RulesFileError`` for malformed files.

``document``, ``htcds`` and ``triage_model`` are internal.
"""
