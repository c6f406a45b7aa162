"""Tasks: the one task model shared by signal-table actions and plan actions.

Public surface: ``schakel.tasks.services`` (create_task, start_task, complete_task,
cancel_task, reassign_task, organisation_tasks, and forget_texts for retention) and
``schakel.tasks.models`` (Task, Priority, Status).
"""
