"""Entity pages: one entity as the user may see it, and search across entities."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from schakel.audit import services as audit
from schakel.entities.hits import appearances
from schakel.entities.models import Mention
from schakel.entities.presenter import present_entity
from schakel.entities.services import get_entity_for_user, mentions_shown_to, search_entities
from schakel.signals.models import Signal


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity, mentions = get_entity_for_user(request.user, pk)
    view = present_entity(request.user, entity, mentions, request=request)
    audit.record_read(request, "entities.mention", [m.pk for m in mentions], purpose="entity")
    return render(request, "entities/entity_detail.html", {"view": view})


@login_required
def entity_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    results = search_entities(request.user, query) if query else []
    page = Paginator(results, 25).get_page(request.GET.get("page"))
    audit.record_read(
        request,
        "entities.mention",
        [m.pk for _entity, mentions in page for m in mentions],
        purpose="entity_search",
    )
    return render(request, "entities/entity_search.html", {"query": query, "page": page})


def signal_panel(request: HttpRequest, signal: Signal) -> SafeString | None:
    """For the signal page: per entity this signal names (as far as the user may see it),
    where else it is known — in full, or as hits."""
    mentions = list(
        mentions_shown_to(
            request.user,
            Mention.objects.filter(signal=signal, entity__isnull=False)
            .select_related("signal", "entity")
            .order_by("pk"),
        )
    )
    rows = []
    for mention in mentions:
        assert mention.entity is not None
        found = appearances(
            request.user,
            mention.entity,
            besides=Mention.objects.filter(signal=signal).values_list("pk", flat=True),
            request=request,
        )
        rows.append((mention, found))
    if not rows:
        return None
    return render_to_string("entities/_signal_panel.html", {"rows": rows}, request=request)
