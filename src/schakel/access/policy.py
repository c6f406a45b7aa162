"""The one access policy: an object check and a queryset filter built from the same rules.

Resources register here (``register``), naming for each *relation* of the matrix a predicate
on one object and the equivalent query condition. The policy imports no context above it;
the viewer's organisation, sector, roles and groups come from a resolver that the partners
context registers (``register_viewer_resolver``).

Two faces, one rule set:

* ``decide(user, action, obj)`` / ``can(user, action, obj)`` for one record;
* ``visible(user, queryset, action)`` for lists, filtering in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from schakel.access.matrix import Level, Matrix, Rule, current

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Viewer:
    """What the policy knows of the person asking."""

    user_id: int | None
    organisation_id: int | None
    sector: str | None
    roles: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()
    is_superuser: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Viewer(user_id=None, organisation_id=None, sector=None)


@dataclass(frozen=True)
class Relation:
    """How a viewer may stand to a record: a Python predicate and the same test as a query."""

    holds: Callable[[Viewer, Any], bool]
    condition: Callable[[Viewer], Q]


def _authenticated_holds(viewer: Viewer, obj: Any) -> bool:
    return not viewer.is_anonymous


def _authenticated_condition(viewer: Viewer) -> Q:
    # Not Q(): an empty Q vanishes when OR-ed with another ("Q() | x" is x), which would
    # turn "everything" into "only x".
    return Q(pk__isnull=False) if not viewer.is_anonymous else Q(pk__in=[])


AUTHENTICATED = Relation(_authenticated_holds, _authenticated_condition)


@dataclass
class Resource:
    name: str
    model: type[models.Model]
    relations: dict[str, Relation] = field(default_factory=dict)
    label_field: str | None = None
    purpose_field: str | None = None

    def label_of(self, obj: Any) -> str | None:
        return getattr(obj, self.label_field) if self.label_field else None

    def purpose_of(self, obj: Any) -> str | None:
        return getattr(obj, self.purpose_field) if self.purpose_field else None


@dataclass(frozen=True)
class Decision:
    """What one viewer gets of one record, per field category."""

    levels: dict[str, Level]

    @property
    def level(self) -> Level:
        return max(self.levels.values(), default=Level.NONE)

    def allows(self, category: str = "general") -> bool:
        return self.levels.get(category, Level.NONE) is not Level.NONE

    def is_full(self, category: str = "general") -> bool:
        return self.levels.get(category, Level.NONE) is Level.FULL


class UnknownResource(LookupError):
    pass


_resources: dict[type[models.Model], Resource] = {}
_viewer_resolver: Callable[[Any], Viewer] | None = None
_vocabulary: dict[str, frozenset[str]] = {}


def register(
    model: type[models.Model],
    *,
    relations: dict[str, Relation],
    label_field: str | None = None,
    purpose_field: str | None = None,
) -> Resource:
    """Put a model under the policy. Called from the owning app's ``AppConfig.ready``."""
    name = model._meta.label_lower
    merged = {"authenticated": AUTHENTICATED, **relations}
    resource = Resource(name, model, merged, label_field, purpose_field)
    _resources[model] = resource
    return resource


def register_viewer_resolver(
    resolver: Callable[[Any], Viewer], *, sectors: Iterable[str], roles: Iterable[str]
) -> None:
    """The partners context tells the policy how to see a user, and which words are valid."""
    global _viewer_resolver
    _viewer_resolver = resolver
    _vocabulary["sectors"] = frozenset(sectors)
    _vocabulary["roles"] = frozenset(roles)


def vocabulary() -> dict[str, frozenset[str]]:
    return dict(_vocabulary)


def resources() -> dict[str, Resource]:
    return {r.name: r for r in _resources.values()}


def resource_for(model: type[models.Model]) -> Resource:
    concrete = model._meta.concrete_model or model
    try:
        return _resources[concrete]
    except KeyError:
        raise UnknownResource(
            f"{concrete._meta.label} is not registered with the access policy"
        ) from None


def viewer_for(user: Any) -> Viewer:
    """The Viewer for a Django user, cached on the user object for the rest of the request."""
    if isinstance(user, Viewer):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_schakel_viewer", None)
    if isinstance(cached, Viewer):
        return cached
    if _viewer_resolver is None:
        raise RuntimeError("no viewer resolver registered (is schakel.partners installed?)")
    viewer = _viewer_resolver(user)
    user._schakel_viewer = viewer
    return viewer


def _matching_rules(matrix: Matrix, resource: Resource, viewer: Viewer, action: str) -> list[Rule]:
    if viewer.is_anonymous:
        return []
    return [
        rule
        for rule in matrix.rules_for(resource.name)
        if action in rule.actions and rule.applies_to_viewer(viewer.sector, viewer.roles)
    ]


def decide(user: Any, action: str, obj: models.Model, *, matrix: Matrix | None = None) -> Decision:
    """The levels per field category that ``user`` gets for ``action`` on ``obj``."""
    matrix = matrix or current()
    resource = resource_for(type(obj))
    viewer = viewer_for(user)
    levels = dict.fromkeys(matrix.categories, Level.NONE)
    label, purpose = resource.label_of(obj), resource.purpose_of(obj)
    for rule in _matching_rules(matrix, resource, viewer, action):
        if not rule.applies_to_record(label, purpose):
            continue
        if not resource.relations[rule.relation].holds(viewer, obj):
            continue
        for category, level in rule.levels.items():
            levels[category] = max(levels[category], level)
    return Decision(levels)


def can(user: Any, action: str, obj: models.Model, *, matrix: Matrix | None = None) -> bool:
    """May ``user`` perform ``action`` on ``obj``? For ``view``, at least redacted general
    fields; for any other action, full general fields."""
    decision = decide(user, action, obj, matrix=matrix)
    return decision.allows() if action == "view" else decision.is_full()


def visible(
    user: Any,
    queryset: models.QuerySet[M],
    action: str = "view",
    *,
    matrix: Matrix | None = None,
) -> models.QuerySet[M]:
    """Filter ``queryset`` to the records for which ``can(user, action, record)`` holds."""
    matrix = matrix or current()
    resource = resource_for(queryset.model)
    viewer = viewer_for(user)
    needed = Level.REDACTED if action == "view" else Level.FULL
    condition: Q | None = None
    for rule in _matching_rules(matrix, resource, viewer, action):
        if rule.levels.get("general", Level.NONE) < needed:
            continue
        term = resource.relations[rule.relation].condition(viewer)
        if rule.labels is not None and resource.label_field:
            term &= Q(**{f"{resource.label_field}__in": sorted(rule.labels)})
        if rule.purposes is not None and resource.purpose_field:
            term &= Q(**{f"{resource.purpose_field}__in": sorted(rule.purposes)})
        condition = term if condition is None else condition | term
    if condition is None:
        return queryset.none()
    # A relation through a to-many join may repeat rows; distinct keeps counts honest.
    return queryset.filter(condition).distinct()


def levels_for_relation(
    model: type[models.Model],
    relation: str,
    *,
    sector: str,
    roles: frozenset[str],
    label: str | None = None,
    purpose: str | None = None,
    action: str = "view",
    matrix: Matrix | None = None,
) -> dict[str, Level]:
    """What a viewer of ``sector`` with ``roles``, standing in ``relation`` to a record with
    ``label`` and ``purpose``, would get — before the record exists. Used to show a submitter
    "who will see what" from the same matrix that will decide it."""
    matrix = matrix or current()
    resource = resource_for(model)
    levels = dict.fromkeys(matrix.categories, Level.NONE)
    for rule in matrix.rules_for(resource.name):
        if (
            rule.relation == relation
            and action in rule.actions
            and rule.applies_to_viewer(sector, roles)
            and rule.applies_to_record(label, purpose)
        ):
            for category, level in rule.levels.items():
                levels[category] = max(levels[category], level)
    return levels


def legal_bases_for(sector: str, *, matrix: Matrix | None = None) -> tuple[str, ...]:
    """The legal bases an organisation of ``sector`` may invoke when it shares or reads."""
    return (matrix or current()).sector_legal_bases.get(sector, ())
