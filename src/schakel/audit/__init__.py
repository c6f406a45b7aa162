"""Audit: the append-only, tamper-evident access and change log.

Other apps use :mod:`schakel.audit.services` only: ``record_read``, ``record_change`` and
``record_event`` to write, ``verify``, ``checkpoint`` and ``write_checkpoint`` to check.
``AuditMiddleware`` (``schakel.audit.middleware``) turns a request's reads into one entry.
This app imports no other Schakel app: it sits at the bottom of the stack.
"""
