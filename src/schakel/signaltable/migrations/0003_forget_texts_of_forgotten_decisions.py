"""What the table wrote about signals that retention forgot before it reached the table: a
decision none of whose signals is kept any more (each deleted or anonymised) loses its
rationale, its correction reason and its actions' titles, and their tasks their texts, as
``schakel.signaltable.forgetting`` does from now on. Like the entities' catch-up
(``entities/0012``), it writes no audit entries: the audit log is written by the running
application, not by migrations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation


def forget(apps: Any, schema_editor: Any) -> None:
    from schakel.signaltable.forgetting import removed_marker

    decision_model = apps.get_model("signaltable", "Decision")
    link_model = apps.get_model("signaltable", "DecisionSignal")
    action_model = apps.get_model("signaltable", "DecisionAction")
    task_model = apps.get_model("tasks", "Task")
    event_model = apps.get_model("tasks", "TaskEvent")
    still_kept = link_model.objects.filter(
        decision=OuterRef("pk"), signal__isnull=False, signal__anonymised_at__isnull=True
    )
    decisions = list(
        decision_model.objects.filter(texts_removed_at__isnull=True)
        .exclude(Exists(still_kept))
        .values_list("pk", flat=True)
    )
    if not decisions:
        return
    decision_model.objects.filter(pk__in=decisions).update(
        rationale="", correction_reason="", texts_removed_at=timezone.now()
    )
    actions = action_model.objects.filter(decision_id__in=decisions)
    tasks = list(actions.exclude(task=None).values_list("task_id", flat=True))
    actions.update(title="")
    with translation.override(settings.LANGUAGE_CODE):
        marker = removed_marker(timezone.localdate())
    task_model.objects.filter(pk__in=tasks).update(title=marker, description="", result="")
    event_model.objects.filter(task_id__in=tasks).update(note="")


class Migration(migrations.Migration):
    dependencies = [
        ("signaltable", "0002_decision_texts_removed_by_retention"),
        ("tasks", "0002_task_reference"),
    ]
    operations = [migrations.RunPython(forget, migrations.RunPython.noop, elidable=True)]
