"""Bulk import of signals from CSV and XLSX files against the documented template
(``docs/import.md``): every row checked with the intake's validator before anything is
written, one transaction, no duplicates on a second import.

Public surface: ``service.import_signals`` (and ``ImportOutcome``), ``rows.ImportDefaults``,
``jobs.start_import`` / ``jobs.run_import`` (the background job), ``template`` (the files
people download) and ``writer.write_signals`` (the batch writer). The web pages are in
``views`` and ``urls``; ``schakel import`` is the ``schakel_import`` management command.
"""
