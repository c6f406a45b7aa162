"""Service functions for tasks. Signal-table actions and plan actions call these."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import Conflict, InvalidInput, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.tasks.models import OPEN_STATUSES, Priority, Status, Task, TaskEvent

DUE_FILTERS = ("overdue", "today", "week", "none")


def _event(task: Task, kind: str, user: User | None, note: str = "") -> None:
    TaskEvent.objects.create(task=task, kind=kind, user=user, note=note)


def _check_change(actor: User | None, task: Task) -> None:
    if actor is not None and not policy.can(actor, "change", task):
        raise NotAllowed()


@transaction.atomic
def create_task(
    owner_organisation: Organisation,
    title: str,
    *,
    description: str = "",
    due_date: date | None = None,
    priority: str = Priority.NORMAL,
    owner_user: User | None = None,
    subject: models.Model | None = None,
    reference: str = "",
    created_by: User | None = None,
    request: Any = None,
) -> Task:
    """Create a task for ``owner_organisation``, optionally for one of its users and
    belonging to ``subject`` (any record: a table decision, a plan, ...) and to the file
    named ``reference`` (a case's reference), by which the task list filters."""
    title = title.strip()
    if not title:
        raise InvalidInput(_("A task needs a title."), field="title")
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority %(value)s.") % {"value": priority}, field="priority")
    if owner_user is not None and owner_user.organisation_id != owner_organisation.pk:
        raise InvalidInput(_("The owner must work at the owner organisation."), field="owner_user")
    task = Task(
        owner_organisation=owner_organisation,
        title=title,
        description=description,
        due_date=due_date,
        priority=priority,
        owner_user=owner_user,
        reference=reference.strip()[:32],
        created_by=created_by,
    )
    if subject is not None:
        task.subject_type = ContentType.objects.get_for_model(subject)
        task.subject_id = str(subject.pk)
    task.save()
    _event(task, TaskEvent.Kind.CREATED, created_by)
    audit.record_change(request, "create", "tasks.task", [task.pk], actor=created_by)
    return task


def _transition(
    task: Task,
    actor: User | None,
    allowed_from: tuple[str, ...],
    to: str,
    kind: str,
    note: str = "",
    request: Any = None,
    **fields: Any,
) -> Task:
    _check_change(actor, task)
    # Lock the row so two people completing the same task at once cannot both succeed.
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status not in allowed_from:
        raise Conflict(
            _("This task is %(status)s; it cannot be changed this way.")
            % {"status": locked.get_status_display().lower()}
        )
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    _event(locked, kind, actor, note)
    audit.record_change(request, kind, "tasks.task", [locked.pk], actor=actor)
    return locked


@transaction.atomic
def start_task(task: Task, *, actor: User | None, request: Any = None) -> Task:
    return _transition(
        task, actor, (Status.OPEN,), Status.IN_PROGRESS, TaskEvent.Kind.STARTED, request=request
    )


@transaction.atomic
def complete_task(task: Task, *, actor: User | None, result: str = "", request: Any = None) -> Task:
    return _transition(
        task,
        actor,
        OPEN_STATUSES,
        Status.DONE,
        TaskEvent.Kind.COMPLETED,
        note=result,
        request=request,
        result=result,
        completed_at=timezone.now(),
    )


@transaction.atomic
def cancel_task(task: Task, *, actor: User | None, reason: str, request: Any = None) -> Task:
    if not reason.strip():
        raise InvalidInput(_("Say why the task is cancelled."), field="reason")
    return _transition(
        task,
        actor,
        OPEN_STATUSES,
        Status.CANCELLED,
        TaskEvent.Kind.CANCELLED,
        note=reason.strip(),
        request=request,
        completed_at=timezone.now(),
    )


@transaction.atomic
def forget_texts(task_ids: list[int], *, marker: str) -> list[int]:
    """Retention: the record these tasks belong to was forgotten, and so goes what was written
    in them (which often names the people). The title becomes ``marker``; the description,
    the result and the notes of the history go. Status, organisation, dates and the history's
    who and when stay. Audited; returns the ids of the tasks changed (none twice)."""
    changed = list(
        Task.objects.filter(pk__in=task_ids)
        .exclude(title=marker, description="", result="")
        .values_list("pk", flat=True)
    )
    if not changed:
        return []
    # ``update``: ``save`` would stamp ``updated_at``, and no one worked on the task.
    Task.objects.filter(pk__in=changed).update(title=marker, description="", result="")
    TaskEvent.objects.filter(task_id__in=changed).exclude(note="").update(note="")
    audit.record_change(None, "retention_anonymise", "tasks.task", changed)
    return changed


@transaction.atomic
def reopen_task(task: Task, *, actor: User | None, reason: str, request: Any = None) -> Task:
    if not reason.strip():
        raise InvalidInput(_("Say why the task is reopened."), field="reason")
    return _transition(
        task,
        actor,
        (Status.DONE, Status.CANCELLED),
        Status.OPEN,
        TaskEvent.Kind.REOPENED,
        note=reason.strip(),
        request=request,
        completed_at=None,
    )


@transaction.atomic
def reassign_task(
    task: Task, owner_user: User | None, *, actor: User | None, request: Any = None
) -> Task:
    _check_change(actor, task)
    if owner_user is not None and owner_user.organisation_id != task.owner_organisation_id:
        raise InvalidInput(_("The owner must work at the owner organisation."), field="owner_user")
    if task.owner_user_id != (owner_user.pk if owner_user else None):
        task.owner_user = owner_user
        task.save(update_fields=["owner_user", "updated_at"])
        _event(task, TaskEvent.Kind.REASSIGNED, actor, str(owner_user or ""))
        audit.record_change(request, "reassign", "tasks.task", [task.pk], actor=actor)
    return task


def organisation_tasks(
    user: User,
    *,
    status: str | None = "open",
    due: str | None = None,
    mine: bool = False,
    subject: models.Model | None = None,
    reference: str | None = None,
    today: date | None = None,
) -> QuerySet[Task]:
    """The tasks of the user's organisation ("our tasks"), as the access policy allows.

    ``status``: "open" (open and in progress), a Status value, or None for all.
    ``due``: "overdue", "today", "week" (due within 7 days), "none" (no due date).
    """
    today = today or timezone.localdate()
    tasks = policy.visible(user, Task.objects.all()).select_related(
        "owner_user", "owner_organisation"
    )
    if status == "open":
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    elif status:
        if status not in Status.values:
            raise InvalidInput(_("Unknown status %(value)s.") % {"value": status}, field="status")
        tasks = tasks.filter(status=status)
    if due:
        if due not in DUE_FILTERS:
            raise InvalidInput(_("Unknown due filter %(value)s.") % {"value": due}, field="due")
        if due == "overdue":
            tasks = tasks.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        elif due == "today":
            tasks = tasks.filter(due_date=today)
        elif due == "week":
            tasks = tasks.filter(due_date__gte=today, due_date__lte=today + timedelta(days=7))
        else:
            tasks = tasks.filter(due_date__isnull=True)
    if mine:
        tasks = tasks.filter(owner_user=user)
    if reference:
        tasks = tasks.filter(reference=reference.strip())
    if subject is not None:
        tasks = tasks.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk)
        )
    return tasks.order_by(models.F("due_date").asc(nulls_last=True), "pk")
