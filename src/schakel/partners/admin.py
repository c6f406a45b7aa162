"""The Django admin is for platform superusers only; organisations manage their users in the
web UI (``views.orgadmin``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, URLField
from django.http import HttpRequest

from schakel.audit import services as audit
from schakel.partners.models import (
    Organisation,
    OrganisationFunction,
    Region,
    RegionContact,
    SharingGroup,
    SharingGroupMembership,
    User,
    UserRole,
)


def _superuser_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superuser_only  # type: ignore[method-assign]


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Superusers' changes in the Django admin go to the audit log like every other change."""

    def _audit(self, request: HttpRequest, action: str, obj: Model) -> None:
        audit.record_change(request, f"admin_{action}", obj._meta.label_lower, [obj.pk])

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._audit(request, "change" if change else "add", obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit(request, "delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self._audit(request, "delete", obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in [*formset.new_objects, *formset.changed_objects]:
            instance = obj[0] if isinstance(obj, tuple) else obj
            self._audit(request, "change", instance)
        for obj in formset.deleted_objects:
            self._audit(request, "delete", obj)


class FunctionInline(admin.TabularInline[OrganisationFunction, Organisation]):
    model = OrganisationFunction
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin, admin.ModelAdmin[Organisation]):
    list_display = ["name", "sector", "region", "country_code", "is_active"]
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    list_filter = ["sector", "is_active", "country_code"]
    search_fields = ["name", "short_name"]
    inlines = [FunctionInline]


@admin.register(Region)
class RegionAdmin(AuditedAdmin, admin.ModelAdmin[Region]):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(RegionContact)
class RegionContactAdmin(AuditedAdmin, admin.ModelAdmin[RegionContact]):
    list_display = ["region", "kind", "name", "organisation"]
    list_filter = ["kind"]


class MembershipInline(admin.TabularInline[SharingGroupMembership, SharingGroup]):
    model = SharingGroupMembership
    extra = 0


@admin.register(SharingGroup)
class SharingGroupAdmin(AuditedAdmin, admin.ModelAdmin[SharingGroup]):
    list_display = ["name", "region", "chair_organisation"]
    inlines = [MembershipInline]
    filter_horizontal = ["chair_users"]


class RoleInline(admin.TabularInline[UserRole, User]):
    model = UserRole
    extra = 0


@admin.register(User)
class SchakelUserAdmin(AuditedAdmin, UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo", "is_superuser", "organisation__sector"]
    inlines = [RoleInline]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Schakel", {"fields": ("organisation", "is_demo")}),
    )
