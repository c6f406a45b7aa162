"""The reflection period's reminder tasks made before they were filed under their case: give
each the reference of the case its offer belongs to, so that the task list finds it by the
case's reference like the case's other tasks."""

from typing import Any

from django.db import migrations


def file_reminders(apps: Any, schema_editor: Any) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    task = apps.get_model("tasks", "Task")
    offer = apps.get_model("cases", "ReflectionOffer")
    offers = content_type.objects.filter(app_label="cases", model="reflectionoffer").first()
    if offers is None:  # a new database: no task can be about an offer yet
        return
    reminders = task.objects.filter(subject_type=offers, reference="")
    case_of = dict(
        offer.objects.filter(
            pk__in=[int(key) for key in reminders.values_list("subject_id", flat=True)]
        ).values_list("pk", "person__case_id")
    )
    for reminder in reminders.only("pk", "subject_id"):
        case = case_of.get(int(reminder.subject_id))
        if case is not None:
            # ``Case.reference``, which historical models do not carry.
            task.objects.filter(pk=reminder.pk).update(reference=f"Z-{case:05d}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_secured_line"),
        ("tasks", "0002_task_reference"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(file_reminders, migrations.RunPython.noop, elidable=True)]
