"""The access policy: the one place that decides who sees what.

Public surface (other apps import only these):

* ``schakel.access.policy``: ``can``, ``decide``, ``visible``, ``register``, ``Relation``,
  ``Viewer``, ``viewer_for``, ``legal_bases_for``;
* ``schakel.access.shortcuts``: ``get_visible_or_404`` for views and API endpoints;
* ``schakel.access.matrix``: ``Level`` and the loaded matrix (``current()``).
"""
