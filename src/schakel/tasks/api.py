"""REST endpoints for tasks: list with the same filters as the page, detail, and actions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.errors import InvalidInput
from schakel.partners.models import User
from schakel.tasks import services
from schakel.tasks.models import Task
from schakel.web.api import error


class TaskSerializer(serializers.ModelSerializer[Task]):
    subject_type = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "owner_organisation",
            "owner_user",
            "title",
            "description",
            "due_date",
            "priority",
            "status",
            "result",
            "subject_type",
            "subject_id",
            "reference",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = [
            "owner_organisation",
            "status",
            "result",
            "subject_type",
            "subject_id",
            "reference",
            "created_at",
            "updated_at",
            "completed_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only colleagues can be chosen: other users' ids are not even confirmed to exist.
            self.fields["owner_user"].queryset = policy.visible(  # type: ignore[attr-defined]
                request.user, User.objects.all()
            )

    def get_subject_type(self, task: Task) -> str | None:
        return task.subject_type.model if task.subject_type_id else None  # type: ignore[union-attr]


class TaskNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="")


#: What starting, completing and cancelling a task answer.
TASK_ACTION_RESPONSES = {
    200: TaskSerializer,
    400: error("Bad input (cancelling needs a reason)."),
    403: error("You may see the task but not change it."),
    404: error("No such task, or not yours to see."),
    409: error("The task's status does not allow this now."),
}


class TaskViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Task]):
    """Our organisation's tasks. Filters: ?status=open|in_progress|done|cancelled|all,
    ?due=overdue|today|week|none, ?mine=true, ?reference=Z-00012 (a case)."""

    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        params = self.request.query_params
        status = params.get("status", "open")
        user: User = self.request.user  # type: ignore[assignment]
        if self.action != "list":
            return policy.visible(user, Task.objects.all())
        return services.organisation_tasks(
            user,
            status=None if status == "all" else status,
            due=params.get("due") or None,
            mine=params.get("mine") in {"1", "true"},
            reference=params.get("reference") or None,
        )

    @extend_schema(
        responses={
            201: TaskSerializer,
            400: error("Bad input: each problem names its field."),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        user: User = self.request.user  # type: ignore[assignment]
        if user.organisation is None:
            raise InvalidInput("The user has no organisation.", field="owner_organisation")
        data = serializer.validated_data
        serializer.instance = services.create_task(
            user.organisation,
            data["title"],
            description=data.get("description", ""),
            due_date=data.get("due_date"),
            priority=data.get("priority", "normal"),
            owner_user=data.get("owner_user"),
            created_by=user,
            request=self.request,
        )

    def _act(self, request: Request, name: str) -> Response:
        task = self.get_object()
        note = TaskNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        text = note.validated_data["note"]
        user: User = request.user  # type: ignore[assignment]
        if name == "start":
            task = services.start_task(task, actor=user, request=request)
        elif name == "complete":
            task = services.complete_task(task, actor=user, result=text, request=request)
        elif name == "cancel":
            if not text.strip():
                # The service names its own argument (``reason``); this API takes ``note``.
                raise InvalidInput(_("Say why the task is cancelled."), field="note")
            task = services.cancel_task(task, actor=user, reason=text, request=request)
        return Response(TaskSerializer(task).data)

    @extend_schema(responses=TASK_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], serializer_class=TaskNoteSerializer)
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, "start")

    @extend_schema(responses=TASK_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], serializer_class=TaskNoteSerializer)
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, "complete")

    @extend_schema(responses=TASK_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], serializer_class=TaskNoteSerializer)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, "cancel")
