"""Task pages: our organisation's task list, a task, and creating one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.errors import SchakelError
from schakel.partners.models import User
from schakel.tasks import services
from schakel.tasks.forms import TaskActionForm, TaskFilterForm, TaskForm
from schakel.tasks.models import Task


def _colleagues(user: User) -> object:
    return policy.visible(user, User.objects.filter(is_active=True))


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TaskFilterForm(request.GET or {"status": "open"})
    filters = form.cleaned_data if form.is_valid() else {"status": "open"}
    tasks = services.organisation_tasks(
        user,
        status=filters.get("status") or None,
        due=filters.get("due") or None,
        mine=bool(filters.get("mine")),
        reference=filters.get("reference") or None,
    )
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    # Task titles may name people; what was shown is audited (one entry for the page).
    audit.record_read(request, "tasks.task", [t.pk for t in page], purpose="tasks")
    template = "tasks/_task_table.html" if request.htmx else "tasks/task_list.html"  # type: ignore[attr-defined]
    return render(
        request, template, {"form": form, "page": page, "query": request.GET.copy().urlencode()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TaskForm(request.POST or None, colleagues=_colleagues(user))
    if request.method == "POST" and form.is_valid() and user.organisation is not None:
        data = form.cleaned_data
        try:
            task = services.create_task(
                user.organisation,
                data["title"],
                description=data["description"],
                due_date=data["due_date"],
                priority=data["priority"],
                owner_user=data["owner_user"],
                created_by=user,
                request=request,
            )
        except SchakelError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("The task was added."))
            return redirect("task_detail", pk=task.pk)
    return render(request, "tasks/task_form.html", {"form": form})


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        request.user,
        Task.objects.select_related("owner_user", "owner_organisation", "created_by"),
        pk=pk,
    )
    audit.record_read(request, "tasks.task", [task.pk], purpose="tasks")
    return render(
        request,
        "tasks/task_detail.html",
        {
            "task": task,
            "events": task.events.select_related("user"),
            "can_change": policy.can(request.user, "change", task),
            "action_form": TaskActionForm(),
        },
    )


_ACTIONS = {
    "start": lambda task, user, note, request: services.start_task(
        task, actor=user, request=request
    ),
    "complete": lambda task, user, note, request: services.complete_task(
        task, actor=user, result=note, request=request
    ),
    "cancel": lambda task, user, note, request: services.cancel_task(
        task, actor=user, reason=note, request=request
    ),
    "reopen": lambda task, user, note, request: services.reopen_task(
        task, actor=user, reason=note, request=request
    ),
}


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = get_visible_or_404(request.user, Task, pk=pk)
    form = TaskActionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    handler = _ACTIONS.get(action)
    if handler is None:
        return redirect("task_detail", pk=task.pk)
    try:
        handler(task, request.user, note, request)
    except SchakelError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The task was updated."))
    return redirect("task_detail", pk=task.pk)
