"""The audit log in Django's admin: to read and filter, never to add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from schakel.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = (
        "position",
        "at",
        "action",
        "object_type",
        "actor_id",
        "organisation_id",
        "purpose",
        "request_id",
    )
    list_filter = ("action",)
    search_fields = ("request_id", "object_type", "action")
    date_hierarchy = "at"
    ordering = ("-position",)
    # The log is large: skip the full count Django would run for every list page.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
