"""Notifications: in-app messages to users, with the e-mail copy sent by the worker.

Public surface: ``schakel.notifications.services`` (``notify``, ``unread_count``,
``mark_read``). Messages name records by reference and say where to look; they never carry
personal data (an e-mail leaves our hands).
"""
