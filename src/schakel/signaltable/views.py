"""Signal-table pages: the organisation's dashboard, tables, meetings with their agenda,
decisions, and minutes (page and PDF). Thin adapters over ``services``, ``agenda`` and
``minutes``; every object page answers 404 to whoever may not see it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.errors import InvalidFields, SchakelError
from schakel.partners.models import Organisation, SharingGroup, User
from schakel.signals.models import Band, Signal
from schakel.signaltable import forms, services
from schakel.signaltable.agenda import (
    Bundle,
    BundleView,
    agenda_page,
    present_bundles,
    propose_agenda,
    proposed_signals,
    record_reads,
)
from schakel.signaltable.bundling import default_bundler
from schakel.signaltable.minutes import build_minutes, render_pdf
from schakel.signaltable.models import Decision, Meeting, Outcome
from schakel.tasks.services import organisation_tasks

PURPOSE = "signal_table_assessment"


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def _members(group: SharingGroup) -> QuerySet[Organisation]:
    return Organisation.objects.filter(group_memberships__group=group).order_by("name")


def _meeting_for(request: HttpRequest, pk: int, action: str = "view") -> Meeting:
    """The meeting if the user may see it (else 404); for ``manage``, 403 to a member who may
    see but not run it."""
    queryset = Meeting.objects.select_related(
        "group", "group__chair_organisation", "group__region", "created_by"
    ).prefetch_related("group__chair_users")
    meeting = get_visible_or_404(request.user, queryset, pk=pk)
    if action != "view" and not policy.can(request.user, action, meeting):
        raise PermissionDenied
    return meeting


def _visible_references(user: User, decisions: list[Decision]) -> dict[int, list[str]]:
    """Per decision, the references of its signals that the user may see."""
    ids = {
        link.signal_id
        for d in decisions
        for link in d.signal_links.all()
        if link.signal_id is not None
    }
    visible = set(
        policy.visible(user, Signal.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    return {
        d.pk: [link.reference for link in d.signal_links.all() if link.signal_id in visible]
        for d in decisions
    }


# --- Dashboard and tables ------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What the organisation has waiting: its open signals, its tasks due, and what its
    tables decided lately."""
    user = _user(request)
    open_signals = services.open_signals_of(user)
    overdue = list(organisation_tasks(user, due="overdue"))
    this_week = list(organisation_tasks(user, due="week"))
    tasks = overdue + [t for t in this_week if t not in overdue]
    decisions = list(services.recent_decisions_for(user)[:50])
    # Task titles and decision rationales may name people: what was shown is audited.
    audit.record_read(request, "tasks.task", [t.pk for t in tasks], purpose="tasks")
    audit.record_read(request, "signaltable.decision", [d.pk for d in decisions], purpose=PURPOSE)
    return render(
        request,
        "signaltable/dashboard.html",
        {
            "tables": services.tables_for(user),
            "open_signals": open_signals[:50],
            "open_signal_count": open_signals.count(),
            "tasks": tasks,
            "decisions": decisions,
            "references": _visible_references(user, decisions),
        },
    )


@login_required
def table_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    tables = services.tables_for(user)
    now = timezone.now()
    meetings = services.visible_meetings(user).filter(group__in=tables)
    upcoming: dict[int, Meeting] = {}
    for meeting in meetings.filter(starts_at__gte=now).order_by("starts_at"):
        upcoming.setdefault(meeting.group_id, meeting)
    rows = [(table, upcoming.get(table.pk), services.can_chair(user, table)) for table in tables]
    return render(request, "signaltable/table_list.html", {"rows": rows})


@login_required
def table_detail(request: HttpRequest, group_pk: int) -> HttpResponse:
    user = _user(request)
    group = services.get_table_for_user(user, group_pk)
    meetings = services.visible_meetings(user).filter(group=group)
    page = Paginator(meetings, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "signaltable/table_detail.html",
        {
            "group": group,
            "page": page,
            "members": _members(group),
            "can_chair": services.can_chair(user, group),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, group_pk: int) -> HttpResponse:
    user = _user(request)
    group = services.get_table_for_user(user, group_pk)
    if not services.can_chair(user, group):
        raise PermissionDenied
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(
                group,
                starts_at=form.cleaned_data["starts_at"],
                location=form.cleaned_data["location"],
                actor=user,
                request=request,
            )
        except SchakelError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The meeting was planned."))
            return redirect("signaltable_meeting", pk=meeting.pk)
    return render(request, "signaltable/meeting_form.html", {"group": group, "form": form})


@login_required
def decision_history(request: HttpRequest, group_pk: int) -> HttpResponse:
    user = _user(request)
    group = services.get_table_for_user(user, group_pk)
    page = Paginator(services.table_decisions(group), 50).get_page(request.GET.get("page"))
    decisions = list(page)
    audit.record_read(request, "signaltable.decision", [d.pk for d in decisions], purpose=PURPOSE)
    return render(
        request,
        "signaltable/decision_history.html",
        {"group": group, "page": page, "references": _visible_references(user, decisions)},
    )


# --- Meetings and the agenda ---------------------------------------------------------------


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = _meeting_for(request, pk)
    can_manage = policy.can(user, "manage", meeting)
    members = list(_members(meeting.group))
    context: dict[str, Any] = {
        "meeting": meeting,
        "group": meeting.group,
        "can_manage": can_manage,
        "decisions": list(
            services.decisions_with_details().filter(meeting=meeting).order_by("decided_at")
        ),
    }
    if not meeting.is_closed:
        agenda = propose_agenda(meeting.group, user)
        page = agenda_page(agenda, request.GET.get("page"))
        bundles = present_bundles(user, page.bundles)
        for bundle in bundles:
            record_reads(request, bundle.signals)
        context.update(
            agenda=agenda,
            page=page,
            bundles=bundles,
            outcomes=Outcome.choices,
            partners=members,
        )
    context["references"] = _visible_references(user, context["decisions"])
    if can_manage and not meeting.is_closed:
        context["progress_form"] = forms.MeetingProgressForm(
            initial={
                "status": meeting.status,
                "location": meeting.location,
                "present_organisations": list(meeting.present_organisations.all()),
            },
            members=_members(meeting.group),
        )
    return render(request, "signaltable/meeting_detail.html", context)


@login_required
@require_POST
def meeting_progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = _meeting_for(request, pk, "manage")
    form = forms.MeetingProgressForm(request.POST, members=_members(meeting.group))
    if form.is_valid():
        try:
            services.update_meeting(
                meeting,
                status=form.cleaned_data["status"],
                location=form.cleaned_data["location"],
                present_organisations=list(form.cleaned_data["present_organisations"]),
                actor=user,
                request=request,
            )
        except SchakelError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The meeting was updated."))
    else:
        # Named per field: the form sits on the meeting's page, which the redirect reloads.
        for name, problems in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for problem in problems:
                messages.error(
                    request,
                    _("The meeting was not updated: %(field)s: %(problem)s")
                    % {"field": label, "problem": problem}
                    if label
                    else _("The meeting was not updated: %(problem)s") % {"problem": problem},
                )
    return redirect("signaltable_meeting", pk=meeting.pk)


def _put_problems(exc: InvalidFields, form: Any, actions: Any) -> None:
    for field, problems in exc.problems.items():
        for problem in problems:
            if field.startswith("actions["):
                index = int(field[len("actions[") : field.index("]")])
                name = field.rsplit(".", 1)[-1]
                if index < len(actions.forms):
                    actions.forms[index].add_error(name, str(problem))
                    continue
            form.add_error(field if field in form.fields else None, str(problem))


def _bundle_of(user: User, meeting: Meeting, ids: list[int]) -> BundleView | None:
    """The posted bundle again, as far as it is still proposed and visible to the user."""
    pool = proposed_signals(meeting.group, user).filter(pk__in=ids)
    bands = dict(pool.order_by().values_list("pk", "band"))
    if not bands:
        return None
    bundle = Bundle(
        signal_ids=sorted(bands),
        links=default_bundler().links(list(bands)),
        urgent=any(band == Band.URGENT for band in bands.values()),
    )
    return present_bundles(user, [bundle])[0]


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = _meeting_for(request, pk, "manage")
    members = list(_members(meeting.group))
    form = forms.DecisionForm(request.POST, partners=members)
    actions = forms.action_formset(request.POST, partners=members)
    if form.is_valid() and actions.is_valid():
        data = form.cleaned_data
        try:
            services.record_decision(
                meeting,
                data["signals"],
                outcome=data["outcome"],
                rationale=data["rationale"],
                refer_to=data["refer_to"],
                actions=forms.actions_from(actions),
                actor=user,
                request=request,
            )
        except InvalidFields as exc:
            _put_problems(exc, form, actions)
        except SchakelError as exc:
            messages.error(request, str(exc.message))
            return redirect("signaltable_meeting", pk=meeting.pk)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("signaltable_meeting", pk=meeting.pk)
    ids = form.cleaned_data.get("signals") if hasattr(form, "cleaned_data") else None
    bundle = _bundle_of(user, meeting, ids) if ids else None
    if bundle is None:
        messages.error(request, _("These signals are no longer on the agenda."))
        return redirect("signaltable_meeting", pk=meeting.pk)
    record_reads(request, bundle.signals)
    return render(
        request,
        "signaltable/decide.html",
        {"meeting": meeting, "bundle": bundle, "form": form, "actions": actions},
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    user = _user(request)
    meeting = _meeting_for(request, pk, "manage")
    decision = get_object_or_404(services.decisions_with_details(), pk=decision_pk, meeting=meeting)
    members = list(_members(meeting.group))
    post = request.POST if request.method == "POST" else None
    form = forms.CorrectionForm(
        post,
        partners=members,
        initial={"outcome": decision.outcome, "refer_to": decision.refer_to_id},
    )
    actions = forms.action_formset(post, partners=members)
    if post is not None and form.is_valid() and actions.is_valid():
        data = form.cleaned_data
        try:
            services.correct_decision(
                decision,
                outcome=data["outcome"],
                rationale=data["rationale"],
                reason=data["reason"],
                refer_to=data["refer_to"],
                actions=forms.actions_from(actions),
                actor=user,
                request=request,
            )
        except InvalidFields as exc:
            _put_problems(exc, form, actions)
        except SchakelError as exc:
            messages.error(request, str(exc.message))
            return redirect("signaltable_meeting", pk=meeting.pk)
        else:
            messages.success(request, _("The correction was recorded."))
            return redirect("signaltable_minutes", pk=meeting.pk)
    minutes = build_minutes(user, meeting)
    entry = next(e for e in minutes.entries if e.decision.pk == decision.pk)
    record_reads(request, entry.bundle.signals)
    return render(
        request,
        "signaltable/correct.html",
        {"meeting": meeting, "entry": entry, "form": form, "actions": actions},
        status=400 if post is not None else 200,
    )


# --- Minutes -------------------------------------------------------------------------------


def _minutes_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    minutes = build_minutes(request.user, meeting)
    record_reads(request, minutes.signal_views)
    audit.record_read(request, "signaltable.decision", minutes.decision_ids, purpose=PURPOSE)
    return {"meeting": meeting, "group": meeting.group, "minutes": minutes}


@login_required
def minutes_page(request: HttpRequest, pk: int) -> HttpResponse:
    _user(request)
    meeting = _meeting_for(request, pk)
    return render(request, "signaltable/minutes.html", _minutes_context(request, meeting))


def minutes_html(request: HttpRequest, meeting: Meeting) -> str:
    """The self-contained HTML the PDF is made of, for the requesting user."""
    return render_to_string(
        "signaltable/minutes_pdf.html", _minutes_context(request, meeting), request=request
    )


@login_required
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _user(request)
    meeting = _meeting_for(request, pk)
    pdf = render_pdf(minutes_html(request, meeting))
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.pk}-{stamp}.pdf"'
    # A per-reader document with personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
