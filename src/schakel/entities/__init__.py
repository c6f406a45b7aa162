"""Entities: the people, companies, addresses, bank accounts and vehicles that signals mention,
typed by the FollowTheMoney model, each value with its provenance (which partner said it, and
when), resolved across partners by linkage.

Public surface for other apps: ``services`` (resolving a signal's mentions, the entities a
user may see) and ``ftm`` (FollowTheMoney export). The linkage engine (``linkage``) is used by
the worker and the command line only; web processes never open its DuckDB store.
"""
