"""Background jobs: the worker (django-tasks, database backend), its heartbeat, and the
periodic jobs that cron or a systemd timer calls.

Public surface: ``schakel.jobs.services`` (``worker_status``, ``beat``, ``run_periodic_jobs``).
"""
