"""The Django admin is for platform superusers only; organisations manage their users in the
web UI (``views.orgadmin``)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

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


class FunctionInline(admin.TabularInline[OrganisationFunction, Organisation]):
    model = OrganisationFunction
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "sector", "region", "country_code", "is_active"]
    list_filter = ["sector", "is_active", "country_code"]
    search_fields = ["name", "short_name"]
    inlines = [FunctionInline]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(RegionContact)
class RegionContactAdmin(admin.ModelAdmin[RegionContact]):
    list_display = ["region", "kind", "name", "organisation"]
    list_filter = ["kind"]


class MembershipInline(admin.TabularInline[SharingGroupMembership, SharingGroup]):
    model = SharingGroupMembership
    extra = 0


@admin.register(SharingGroup)
class SharingGroupAdmin(admin.ModelAdmin[SharingGroup]):
    list_display = ["name", "region", "chair_organisation"]
    inlines = [MembershipInline]
    filter_horizontal = ["chair_users"]


class RoleInline(admin.TabularInline[UserRole, User]):
    model = UserRole
    extra = 0


@admin.register(User)
class SchakelUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo", "is_superuser", "organisation__sector"]
    inlines = [RoleInline]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Schakel", {"fields": ("organisation", "is_demo")}),
    )
