"""Entity pages: one entity as the user may see it, search across entities, and the user's
FollowTheMoney exports (asked for here, written by the worker, downloaded here)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schakel.access import policy
from schakel.audit import services as audit
from schakel.entities import exports, review
from schakel.entities.api import export_file
from schakel.entities.hits import appearances
from schakel.entities.models import FtmExport, Judgement, Mention, Suggestion
from schakel.entities.presenter import present_entity
from schakel.entities.services import get_entity_for_user, mentions_shown_to, search_entities
from schakel.errors import Conflict, InvalidInput, NotFound
from schakel.signals.models import Signal


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity, mentions = get_entity_for_user(request.user, pk)
    view = present_entity(request.user, entity, mentions, request=request, with_judgements=True)
    audit.record_read(request, "entities.mention", view.shown_mention_ids, purpose="entity")
    may_review = review.may_review(request.user)
    return render(
        request,
        "entities/entity_detail.html",
        {"view": view, "may_split": len(mentions) > 1 and may_review, "may_withdraw": may_review},
    )


@login_required
@require_POST
def entity_split(request: HttpRequest, pk: int) -> HttpResponse:
    entity, mentions = get_entity_for_user(request.user, pk)
    mention = next((m for m in mentions if str(m.pk) == request.POST.get("mention")), None)
    if mention is None or not review.may_review(request.user):
        raise Http404
    try:
        review.split_off(
            request.user, entity, mention, reason=request.POST.get("reason", ""), request=request
        )
    except InvalidInput as exc:
        messages.error(request, str(exc))
        return redirect("entity_detail", pk=entity.pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Recorded: not the same. The entity was split."))
    mention.refresh_from_db(fields=["entity"])
    return redirect("entity_detail", pk=mention.entity_id or entity.pk)


@login_required
@require_http_methods(["GET", "POST"])
def judgement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a judgement (a new record; the entities follow the model again at once). The
    entity page posts here; the page itself asks again, and shows what was wrong. A judgement
    made in one split with others that stand is withdrawn with them (``scope=split``, what the
    page offers first) or alone (``scope=one``, what a post without a scope means)."""
    try:
        entry = review.get_judgement_for_user(request.user, pk)
    except NotFound:
        raise Http404 from None
    judgement = entry.judgement
    problem = conflict = ""
    status = 200
    scope = request.POST.get("scope", "one")
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            if scope == "split":
                review.withdraw_split(request.user, judgement, reason=reason, request=request)
            else:
                review.withdraw(request.user, judgement, reason=reason, request=request)
        except NotFound:
            raise Http404 from None
        except Conflict as exc:
            conflict, status = str(exc.message), 409
            entry = review.get_judgement_for_user(request.user, pk)
        except InvalidInput as exc:
            problem = str(exc.message)
        else:
            messages.success(
                request,
                _("The split was withdrawn. The records are grouped again.")
                if scope == "split" and entry.split_withdrawable
                else _("The judgement was withdrawn. The records are grouped again."),
            )
            judgement.left.refresh_from_db(fields=["entity"])
            judgement.right.refresh_from_db(fields=["entity"])
            entity = judgement.left.entity_id or judgement.right.entity_id
            return redirect("entity_detail", pk=entity) if entity else redirect("entity_search")
    shown = entry.split_judgements if entry.split_withdrawable else (judgement,)
    audit.record_read(
        request,
        "entities.mention",
        # With the records of the split it was made in, where the page lists them.
        list(dict.fromkeys(m for j in shown for m in (j.left_id, j.right_id))),
        purpose="linkage_review",
    )
    return render(
        request,
        "entities/judgement_withdraw.html",
        {
            "entry": entry,
            "problem": problem,
            "conflict": conflict,
            "reason": request.POST.get("reason", ""),
            "scope": scope if request.method == "POST" else "split",
        },
        status=status,
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not review.may_review(request.user):
        raise Http404
    items = review.review_queue(request.user)
    audit.record_read(
        request,
        "entities.mention",
        [m.pk for item in items for m in (item.left, item.right)],
        purpose="linkage_review",
    )
    return render(
        request,
        "entities/review_queue.html",
        {"items": items, "verdicts": [v for v in Judgement.Verdict if v != "withdrawn"]},
    )


@login_required
@require_POST
def review_judge(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = (
        Suggestion.objects.select_related("left__signal", "right__signal").filter(pk=pk).first()
    )
    if suggestion is None:
        raise Http404
    try:
        review.judge(
            request.user,
            suggestion.left,
            suggestion.right,
            request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
            suggestion=suggestion,
            request=request,
        )
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your judgement was recorded."))
    return redirect("entity_review")


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
    return render(
        request,
        "entities/entity_search.html",
        {"query": query, "page": page, "may_review": review.may_review(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's exports of the last day, and the button that asks for a new one."""
    if request.method == "POST":
        export, new = exports.start_export(request.user)
        if not new:
            messages.info(request, _("An export of yours is running already; here it is."))
        return redirect("entity_export", export_id=export.pk)
    # The same rule as each export's page: the requester's own (the access matrix).
    mine = policy.visible(request.user, FtmExport.objects.all()).order_by("-created_at")[:20]
    return render(request, "entities/export_list.html", {"exports": mine})


@login_required
def export_progress(request: HttpRequest, export_id: str) -> HttpResponse:
    export = exports.get_export_for_user(request.user, export_id)
    context = {"export": export}
    if getattr(request, "htmx", False):
        return render(request, "entities/_export_progress.html", context)
    return render(request, "entities/export_progress.html", context)


@login_required
def export_download(request: HttpRequest, export_id: str) -> HttpResponse | FileResponse:
    export = exports.get_export_for_user(request.user, export_id)
    try:
        return export_file(request, export)
    except Conflict:
        # Not finished yet (an early bookmark): where it shows how far it is.
        return redirect("entity_export", export_id=export.pk)


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
    # Every mention of this signal, shown or not: "elsewhere" means other signals.
    own = set(Mention.objects.filter(signal=signal).values_list("pk", flat=True))
    rows = []
    for mention in mentions:
        assert mention.entity is not None
        found = appearances(request.user, mention.entity, besides=own, request=request)
        rows.append((mention, found))
    if not rows:
        return None
    return render_to_string("entities/_signal_panel.html", {"rows": rows}, request=request)
