"""Imports: the record of one bulk import (who uploaded which file, how far the background job
is, what it found and what it wrote), so that the web page and the worker share its progress.

The import itself (reading, validating, writing signals) lives in ``schakel.signals.bulk``;
this app holds only its table, so that the signals app needs no migration for it.

Public surface: ``schakel.imports.models.ImportJob``.
"""
