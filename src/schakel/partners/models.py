"""Organisations, regions, sharing groups and users: who is in the chain and where."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schakel.partners.vocabulary import ContactKind, Function, RegionKind, Role, Sector


class Region(models.Model):
    """A place in the hierarchy country → region → municipality."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    country_code = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RegionKind.COUNTRY, parent__isnull=True)
                | (~Q(kind=RegionKind.COUNTRY) & Q(parent__isnull=False)),
                name="region_country_is_root",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected_parent = {
            RegionKind.REGION: RegionKind.COUNTRY,
            RegionKind.MUNICIPALITY: RegionKind.REGION,
        }.get(RegionKind(self.kind))
        if expected_parent and (self.parent is None or self.parent.kind != expected_parent):
            raise ValidationError(
                {
                    "parent": _("This %(kind)s must be part of a %(parent)s.")
                    % {
                        "kind": str(RegionKind(self.kind).label).lower(),
                        "parent": str(expected_parent.label).lower(),
                    }
                }
            )

    def police_region(self) -> Region | None:
        """The region-level ancestor (or self), e.g. the police region of a municipality."""
        node: Region | None = self
        while node is not None and node.kind != RegionKind.REGION:
            node = node.parent
        return node


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    country_code = models.CharField(
        _("country"), max_length=2, default="NL", help_text=_("ISO 3166-1 alpha-2")
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("region"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def functions(self) -> list[Function]:
        return [Function(f.function) for f in self.function_set.all()]

    def has_function(self, function: Function) -> bool:
        return self.function_set.filter(function=function).exists()


class OrganisationFunction(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="function_set"
    )
    function = models.CharField(_("function"), max_length=40, choices=Function.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "function"], name="organisation_function_unique"
            )
        ]
        verbose_name = _("organisation function")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_function_display()}"


class RegionContact(models.Model):
    """A named contact of a region, shown on guidance pages and used for alerts."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("region")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ContactKind.choices)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="region_contacts",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        "partners.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="region_contacts",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        ordering = ["region__name", "kind", "name"]
        verbose_name = _("region contact")
        verbose_name_plural = _("region contacts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class SharingGroup(models.Model):
    """A group of organisations that share signals, e.g. a regional signal table."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_groups",
        verbose_name=_("region"),
    )
    chair_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="chaired_groups",
        verbose_name=_("chair organisation"),
    )
    members: models.ManyToManyField[Organisation, SharingGroupMembership] = models.ManyToManyField(
        Organisation,
        through="SharingGroupMembership",
        related_name="sharing_groups",
        verbose_name=_("member organisations"),
    )
    chair_users = models.ManyToManyField(
        "partners.User", blank=True, related_name="chaired_groups", verbose_name=_("chairs")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("sharing group")
        verbose_name_plural = _("sharing groups")

    def __str__(self) -> str:
        return self.name


class SharingGroupMembership(models.Model):
    group = models.ForeignKey(SharingGroup, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined = models.DateField(_("joined"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "organisation"], name="sharing_group_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.group}"


class SchakelUserManager(UserManager["User"]):
    def with_role(self, role: Role) -> models.QuerySet[User]:
        return self.filter(role_set__role=role)


class User(AbstractUser):
    """A person working in the chain. Belongs to one organisation; has one or more roles."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
        help_text=_("Only platform superusers may be without an organisation."),
    )
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        help_text=_("Created by the demo generator; refused in production mode."),
    )

    objects: ClassVar[SchakelUserManager] = SchakelUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> frozenset[str]:
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(r.role for r in self.role_set.all())
            self._roles_cache = cached
        return cached

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def needs_two_factor(self) -> bool:
        """Every role except a pure front-desk worker needs a second factor."""
        return bool(self.roles - {Role.FRONT_DESK}) or self.is_superuser


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_set")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]
        verbose_name = _("role")

    def __str__(self) -> str:
        return self.get_role_display()
