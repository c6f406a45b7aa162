"""Service functions of the partners context. Views, the API, the CLI and the demo generator
all change partners data through these, so every change is validated and audited once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import InvalidInput, NotAllowed
from schakel.partners.models import (
    Organisation,
    Region,
    RegionContact,
    SharingGroup,
    SharingGroupMembership,
    User,
    UserRole,
)
from schakel.partners.vocabulary import Role


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in Role.values]
    if unknown:
        raise InvalidInput(
            _("Unknown role(s): %(roles)s.") % {"roles": ", ".join(unknown)}, field="roles"
        )
    if not chosen:
        raise InvalidInput(_("Choose at least one role."), field="roles")
    return chosen


def _check_can_manage(actor: User | None, user: User) -> None:
    if actor is not None and not policy.can(actor, "manage", user):
        raise NotAllowed()


@transaction.atomic
def create_user(
    organisation: Organisation | None,
    username: str,
    *,
    roles: Iterable[str],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    is_demo: bool = False,
    is_superuser: bool = False,
    actor: User | None = None,
    request: Any = None,
) -> User:
    """Create a user in ``organisation`` with ``roles``. Without a password the account cannot
    sign in until its owner sets one through the password-reset mail."""
    username = username.strip()
    if not username:
        raise InvalidInput(_("A user name is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("This user name is already taken."), field="username")
    if organisation is None and not is_superuser:
        raise InvalidInput(_("A user must belong to an organisation."), field="organisation")
    chosen_roles = _check_roles(roles) if not is_superuser or roles else []
    if actor is not None and (
        organisation is None or not policy.can(actor, "manage", User(organisation=organisation))
    ):
        raise NotAllowed()
    user = User(
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        organisation=organisation,
        is_demo=is_demo,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password is not None and not is_demo:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in chosen_roles])
    audit.record_change(
        request, "create", "partners.user", [user.pk], actor=actor, details={"roles": chosen_roles}
    )
    return user


@transaction.atomic
def update_user(
    user: User,
    *,
    actor: User | None,
    request: Any = None,
    roles: Iterable[str] | None = None,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User:
    _check_can_manage(actor, user)
    changed: list[str] = []
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value is not None and getattr(user, field) != value.strip():
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    if roles is not None:
        chosen = _check_roles(roles)
        if actor is not None and actor.pk == user.pk and Role.ORG_ADMIN not in chosen:
            # An administrator removing their own admin role could leave nobody in charge.
            raise InvalidInput(_("You cannot remove your own administrator role."), field="roles")
        current = set(user.roles)
        if current != set(chosen):
            UserRole.objects.filter(user=user).exclude(role__in=chosen).delete()
            UserRole.objects.bulk_create(
                [UserRole(user=user, role=r) for r in chosen if r not in current]
            )
            changed.append("roles")
            for attribute in ("_roles_cache", "_schakel_viewer"):
                user.__dict__.pop(attribute, None)
    if changed:
        audit.record_change(
            request, "update", "partners.user", [user.pk], actor=actor, details={"fields": changed}
        )
    return user


@transaction.atomic
def set_user_active(user: User, active: bool, *, actor: User | None, request: Any = None) -> User:
    """Disable or re-enable an account. A disabled user loses access at the next request,
    because the session's user is re-checked (``SchakelBackend.user_can_authenticate``)."""
    _check_can_manage(actor, user)
    if actor is not None and actor.pk == user.pk and not active:
        raise InvalidInput(_("You cannot disable your own account."), field="is_active")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record_change(
            request, "enable" if active else "disable", "partners.user", [user.pk], actor=actor
        )
    return user


@transaction.atomic
def reset_two_factor(user: User, *, actor: User | None, request: Any = None) -> int:
    """Remove a user's second factors (lost phone); they enrol again at their next login."""
    from django_otp import devices_for_user

    _check_can_manage(actor, user)
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    audit.record_change(
        request,
        "reset_two_factor",
        "partners.user",
        [user.pk],
        actor=actor,
        details={"devices_removed": removed},
    )
    return removed


def manageable_users(actor: User) -> QuerySet[User]:
    return policy.visible(actor, User.objects.all(), "manage").prefetch_related("role_set")


def region_contacts_for(organisation: Organisation | None) -> QuerySet[RegionContact]:
    """The contacts of the organisation's (police) region, for guidance and alerts."""
    if organisation is None or organisation.region is None:
        return RegionContact.objects.none()
    region = organisation.region.police_region() or organisation.region
    return RegionContact.objects.filter(region=region).select_related("organisation")


@dataclass(frozen=True)
class HomeSummary:
    organisation: Organisation | None
    region: Region | None
    police_region: Region | None
    contacts: list[RegionContact]
    groups: list[SharingGroup]
    chaired_group_ids: frozenset[int]


def home_summary(user: User) -> HomeSummary:
    organisation = user.organisation
    region = organisation.region if organisation else None
    groups = list(
        policy.visible(user, SharingGroup.objects.all())
        .select_related("chair_organisation", "region")
        .prefetch_related("members")
        .order_by("name")
    )
    return HomeSummary(
        organisation=organisation,
        region=region,
        police_region=region.police_region() if region else None,
        contacts=list(region_contacts_for(organisation)),
        groups=groups,
        chaired_group_ids=frozenset(user.chaired_groups.values_list("pk", flat=True))
        if user.pk
        else frozenset(),
    )


@transaction.atomic
def add_group_member(
    group: SharingGroup,
    organisation: Organisation,
    *,
    actor: User | None = None,
    request: Any = None,
) -> None:
    _, created = SharingGroupMembership.objects.get_or_create(
        group=group, organisation=organisation
    )
    if created:
        audit.record_change(
            request,
            "add_member",
            "partners.sharinggroup",
            [group.pk],
            actor=actor,
            details={"organisation": organisation.pk},
        )
