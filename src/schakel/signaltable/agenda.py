"""The proposed agenda of a signal table, and bundles as one viewer may see them.

The agenda is not stored: it is proposed each time from the signals triaged *discuss* or
*urgent* that are shared with the table, visible to the viewer and not decided yet. Links come
from a :class:`~schakel.signaltable.bundling.Bundler`; what a viewer sees of each signal, and so
of each link, comes from the signals' presenter under the one access policy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.audit import services as audit
from schakel.partners.models import Organisation, SharingGroup
from schakel.signals.models import (
    AWAITING_TABLE,
    AddressMention,
    Band,
    CompanyMention,
    IdentifierMention,
    PaymentMention,
    PersonMention,
    RelationMention,
    Signal,
)
from schakel.signals.presenter import Hit, SignalView, loaded_as, present
from schakel.signaltable.bundling import Bundler, Link, default_bundler, union_roots
from schakel.signaltable.models import DecisionSignal

BAND_ORDER = {Band.URGENT.value: 0, Band.DISCUSS.value: 1, Band.MONITOR.value: 2}


def awaiting_decision(queryset: QuerySet[Signal]) -> QuerySet[Signal]:
    """The signals triaged discuss or urgent without any table decision (a corrected decision
    is still a decision) that still hold what they said: one that waited past its retention
    date was anonymised, and nothing is left to decide on.

    ``AWAITING_TABLE`` says so in the signal's own columns (indexed); the decisions are asked
    as well, so a decision written without its retention outcome still counts."""
    return queryset.filter(
        AWAITING_TABLE, ~Exists(DecisionSignal.objects.filter(signal=OuterRef("pk")))
    )


def proposed_signals(group: SharingGroup, user: Any) -> QuerySet[Signal]:
    """The signals the agenda of ``group`` is proposed from, as far as ``user`` may see them."""
    return policy.visible(user, awaiting_decision(Signal.objects.filter(sharing_groups=group)))


@dataclass
class Bundle:
    signal_ids: list[int]
    links: list[Link]
    urgent: bool

    @property
    def anchor(self) -> str:
        return f"bundle-{self.signal_ids[0]}"


@dataclass
class Agenda:
    """The proposed agenda of a table: bundles, most pressing first.

    Kept compact (a bundle is its root, the smallest signal id in it; only bundles of two or
    more signals hold a list), because it is computed over thousands of signals on every view
    and only one page of bundles is ever shown.
    """

    group: SharingGroup
    order: list[int]  # bundle roots, most pressing first
    members: dict[int, list[int]]  # root → signal ids, for bundles of two or more
    links: dict[int, list[Link]]  # root → the links that make the bundle
    urgent: set[int]  # roots of bundles with an urgent signal
    signal_count: int

    def size(self, root: int) -> int:
        members = self.members.get(root)
        return len(members) if members else 1

    def bundle(self, root: int) -> Bundle:
        return Bundle(
            self.members.get(root) or [root], self.links.get(root, []), root in self.urgent
        )

    @property
    def bundle_count(self) -> int:
        return len(self.order)

    @property
    def bundles(self) -> list[Bundle]:
        """Every bundle as an object: for tests and small tables; pages use ``agenda_page``."""
        return [self.bundle(root) for root in self.order]


def make_agenda(
    group: SharingGroup,
    bands: dict[int, str],
    received_order: Sequence[int],
    links: Sequence[Link],
) -> Agenda:
    """Bundle the signals in ``bands`` (id → band) by ``links``; order the bundles urgent
    first, then the larger ones, then those waiting longest (``received_order``: ids, oldest
    first)."""
    # Most signals are bundles of their own: only the linked ones need joining.
    linked = union_roots(
        {pk for link in links for pk in (link.signal_a, link.signal_b) if pk in bands}, links
    )
    sizes = Counter(linked.values())
    # A bundle's signals in the order they were received (ids as the tie-break), then any not
    # in ``received_order`` by id; a bundle waits since its first signal was received.
    members: dict[int, list[int]] = {}
    waiting: dict[int, int] = {}
    ranked = dict.fromkeys(pk for pk in received_order if pk in bands)
    unranked = sorted(pk for pk in bands if pk not in ranked)
    for index, pk in enumerate(ranked):
        root = linked.get(pk, pk)
        waiting.setdefault(root, index)
        if sizes[root] > 1:
            members.setdefault(root, []).append(pk)
    for index, pk in enumerate(unranked, start=len(ranked)):
        root = linked.get(pk, pk)
        waiting.setdefault(root, index)
        if sizes[root] > 1:
            members.setdefault(root, []).append(pk)
    urgent = {linked.get(pk, pk) for pk, band in bands.items() if band == Band.URGENT}
    links_of: dict[int, list[Link]] = {}
    for link in links:
        if link.signal_a in linked and link.signal_b in linked:
            links_of.setdefault(linked[link.signal_a], []).append(link)
    # Urgent bundles first, then the larger ones, then those waiting longer: the bundles of
    # several signals sorted by one integer each (no key tuples), the single signals (all of
    # size one) in the order they were received.
    span = len(bands) + 1

    def pressing(root: int) -> int:
        return ((root not in urgent) * span + span - sizes[root]) * span + waiting.get(root, 0)

    several = sorted(members, key=pressing)
    single = [pk for pk in (*ranked, *unranked) if sizes[linked.get(pk, pk)] <= 1]
    order = [
        *(root for root in several if root in urgent),
        *(pk for pk in single if pk in urgent),
        *(root for root in several if root not in urgent),
        *(pk for pk in single if pk not in urgent),
    ]
    return Agenda(group, order, members, links_of, urgent, len(bands))


def propose_agenda(group: SharingGroup, user: Any, *, bundler: Bundler | None = None) -> Agenda:
    """The bundled agenda of ``group`` as ``user`` may see it."""
    # The pool is a DISTINCT query (the policy's filter); ordering it by date would fetch and
    # convert 10,000 timestamps only to rank them, so the ranking is an outer query.
    # The outer query is narrowed to the signals awaiting a table too: it then reads them from
    # their index, not every signal ever received.
    pool = proposed_signals(group, user).order_by().values("pk")
    rows = list(
        Signal.objects.filter(AWAITING_TABLE, pk__in=pool)
        .order_by("received_at", "pk")
        .values_list("pk", "band")
    )
    bands = dict(rows)
    received_order = [pk for pk, _band in rows]
    links = (bundler or default_bundler()).links(list(bands))
    return make_agenda(group, bands, received_order, links)


@dataclass
class AgendaPage:
    """One page of the agenda: up to ``MAX_BUNDLES`` bundles and, unless one bundle alone is
    larger, up to ``MAX_SIGNALS`` signals (a meeting discusses a page, not 10,000 signals)."""

    bundles: list[Bundle]
    number: int
    num_pages: int
    start_index: int  # the number of the page's first bundle on the whole agenda, from 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


MAX_BUNDLES = 20
MAX_SIGNALS = 60


def agenda_page(agenda: Agenda, number: Any) -> AgendaPage:
    """Page ``number`` (from 1; anything else is the first page or the last one)."""
    starts = [0]
    bundles = signals = 0
    for index, root in enumerate(agenda.order):
        size = agenda.size(root)
        if bundles and (bundles == MAX_BUNDLES or signals + size > MAX_SIGNALS):
            starts.append(index)
            bundles = signals = 0
        bundles += 1
        signals += size
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    page = min(max(wanted, 1), len(starts))
    begin = starts[page - 1]
    end = starts[page] if page < len(starts) else len(agenda.order)
    return AgendaPage(
        [agenda.bundle(root) for root in agenda.order[begin:end]], page, len(starts), begin + 1
    )


# --- Presenting bundles --------------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    """A link as the viewer may see it: the value, or only that one is shared and whom to ask."""

    signal_a: Signal
    signal_b: Signal
    kind: str
    kind_label: str
    value: str | None  # None: hidden from this viewer
    contacts: tuple[Organisation, ...] = ()

    @property
    def contacts_label(self) -> str:
        return ", ".join(str(o) for o in self.contacts)


@dataclass
class BundleView:
    bundle: Bundle | None
    signals: list[SignalView]
    links: list[LinkView]
    partners: list[tuple[Organisation, int]] = field(default_factory=list)
    persons: list[PersonMention] = field(default_factory=list)
    companies: list[CompanyMention] = field(default_factory=list)
    addresses: list[AddressMention] = field(default_factory=list)
    identifiers: list[IdentifierMention] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    forms_of_exploitation: list[str] = field(default_factory=list)

    @property
    def band(self) -> str:
        bands = [v.signal.band for v in self.signals]
        return min(bands, key=lambda b: BAND_ORDER.get(b, 9)) if bands else ""

    @property
    def signal_ids(self) -> list[int]:
        return [v.signal.pk for v in self.signals]

    @property
    def signal_ids_text(self) -> str:
        return ",".join(str(pk) for pk in self.signal_ids)

    @property
    def hit_contacts(self) -> list[tuple[str, str]]:
        """Whom to ask about what is hidden: (organisation, e-mail), each once."""
        return list(dict.fromkeys((h.contact_organisation, h.contact_email) for h in self.hits))

    @property
    def anchor(self) -> str:
        return f"bundle-{min(self.signal_ids)}" if self.signals else "bundle"


def signals_for_presenting(ids: Iterable[int]) -> dict[int, Signal]:
    """The signals with everything the presenter reads, in a fixed number of queries. What
    each signal holds is loaded as plain lists (``presenter.loaded_as``), which the presenter
    reads instead of asking the signal's managers: a manager's queryset per signal and
    relation cost more than the queries (seven relations, sixty signals on an agenda page)."""
    queryset = Signal.objects.filter(pk__in=list(ids)).select_related(
        "owner_organisation", "municipality", "submitted_by"
    )
    queryset = queryset.prefetch_related(
        "sharing_groups",
        "recipients",
        *(
            Prefetch(name, to_attr=loaded_as(name))
            for name in ("persons", "companies", "addresses", "attachments")
        ),
        Prefetch(
            "identifiers",
            queryset=IdentifierMention.objects.select_related("person"),
            to_attr=loaded_as("identifiers"),
        ),
        Prefetch(
            "relations",
            queryset=RelationMention.objects.select_related("person", "other_person", "company"),
            to_attr=loaded_as("relations"),
        ),
        Prefetch(
            "payments",
            queryset=PaymentMention.objects.select_related(
                "payer_person", "payer_company", "beneficiary_person", "beneficiary_company"
            ),
            to_attr=loaded_as("payments"),
        ),
    )
    return {signal.pk: signal for signal in queryset}


def _sees_value(view: SignalView, categories: frozenset[str]) -> bool:
    return any(view.levels.get(c, Level.NONE) is Level.FULL for c in categories)


def _link_view(link: Link, views: dict[int, SignalView]) -> LinkView | None:
    a, b = views.get(link.signal_a), views.get(link.signal_b)
    if a is None or b is None:
        return None
    hidden_in = [
        view
        for view, categories in ((a, link.categories_a), (b, link.categories_b))
        if not _sees_value(view, categories)
    ]
    contacts = tuple(dict.fromkeys(v.signal.owner_organisation for v in hidden_in))
    return LinkView(
        a.signal,
        b.signal,
        link.kind,
        link.kind_label,
        None if hidden_in else link.value_label,
        contacts,
    )


def _unique(items: Iterable[Any], key: Any) -> list[Any]:
    seen: dict[Any, Any] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def bundle_view(
    views: Sequence[SignalView], links: Iterable[Link], bundle: Bundle | None = None
) -> BundleView:
    """The union of what the viewer may see of the signals of one bundle."""
    by_id = {v.signal.pk: v for v in views}
    link_views = [lv for lv in (_link_view(link, by_id) for link in links) if lv is not None]
    partners: dict[Organisation, int] = {}
    for view in views:
        owner = view.signal.owner_organisation
        partners[owner] = partners.get(owner, 0) + 1
    forms = sorted({form for v in views for form in v.signal.forms_of_exploitation})
    return BundleView(
        bundle=bundle,
        signals=list(views),
        links=link_views,
        partners=sorted(partners.items(), key=lambda item: item[0].name),
        persons=_unique(
            (p for v in views for p in v.persons),
            lambda p: (p.role, p.name_key, p.date_of_birth) if p.name_key else p.pk,
        ),
        companies=_unique((c for v in views for c in v.companies), lambda c: c.name_key or c.pk),
        addresses=_unique((a for v in views for a in v.addresses), lambda a: a.address_key or a.pk),
        identifiers=_unique(
            (i for v in views for i in v.identifiers), lambda i: (i.kind, i.normalised)
        ),
        hits=list(dict.fromkeys(h for v in views for h in v.hits)),
        forms_of_exploitation=forms,
    )


def present_bundles(user: Any, bundles: Sequence[Bundle]) -> list[BundleView]:
    """The given bundles as ``user`` may see them (call for one page of bundles)."""
    signals = signals_for_presenting(pk for b in bundles for pk in b.signal_ids)
    result = []
    for bundle in bundles:
        views = [present(user, signals[pk]) for pk in bundle.signal_ids if pk in signals]
        result.append(bundle_view(views, bundle.links, bundle))
    return result


def record_reads(request: HttpRequest, views: Iterable[SignalView], *, purpose: str = "") -> None:
    """Note every signal (and its personal data) shown; the middleware writes one entry."""
    for view in views:
        signal_purpose = purpose or view.signal.purpose
        audit.record_read(request, "signals.signal", [view.signal.pk], purpose=signal_purpose)
        for object_type, ids in view.personal_ids.items():
            audit.record_read(request, object_type, ids, purpose=signal_purpose)
