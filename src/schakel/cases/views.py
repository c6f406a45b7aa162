"""Case pages: the list, one case, opening a case, its status, and decisions about a person.
Thin adapters over ``services``, ``persons`` and ``presenter``; every object page answers 404
to whoever may not see the case (existence is never revealed), 403 to whoever may see it but
not change it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from schakel.access import policy
from schakel.access.matrix import current as current_matrix
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import forms, handovers, holds, persons, services
from schakel.cases.access import category_of_role
from schakel.cases.models import Case, CasePerson, Handover
from schakel.cases.plan_presenter import plans_on_case
from schakel.cases.presenter import case_queryset, present_case
from schakel.cases.vocabulary import OPEN_STATUSES, CaseStatus, deciding_type_for
from schakel.errors import InvalidFields, SchakelError
from schakel.partners.models import Organisation, User
from schakel.signals.models import Signal

STATUS_FILTERS = ("open", "all", *CaseStatus.values)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def get_case_for_user(request: HttpRequest, pk: int, action: str = "view") -> Case:
    """The case if the user may see it (else 404); for another action, 403 to a viewer who
    may see but not do it."""
    case = get_visible_or_404(request.user, case_queryset(), pk=pk)
    if action != "view" and not policy.can(request.user, action, case):
        raise PermissionDenied
    return case


def _person_for(request: HttpRequest, case: Case, person_pk: int) -> CasePerson:
    """A person of the case whose details the user may see in full; else 404."""
    person = case.people.select_related("entity").filter(pk=person_pk).first()
    if person is None:
        raise Http404
    if not policy.decide(request.user, "view", case).is_full(category_of_role(person.role)):
        raise Http404
    return person


def _legal_bases(organisation: Organisation) -> list[tuple[str, str]]:
    language = (get_language() or "nl")[:2]
    matrix = current_matrix()
    return [
        (code, matrix.legal_bases[code].get(language, code))
        for code in policy.legal_bases_for(organisation.sector)
    ]


def _may_open(user: User) -> bool:
    return user.organisation is not None and policy.can(
        user, "open", Case(lead_organisation=user.organisation)
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    cases = services.visible_cases(user)
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        cases = cases.filter(status=status)
    lead = request.GET.get("lead") == "own"
    if lead:
        cases = cases.filter(lead_organisation=user.organisation)
    page = Paginator(cases.order_by("-opened_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "status": status,
            "statuses": CaseStatus.choices,
            "lead": lead,
            "can_open": _may_open(user),
        },
    )


#: How many of its signals the case page lists (the most recent); the rest on request.
CASE_PAGE_SIGNALS = 50


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    all_signals = request.GET.get("signals") == "all"
    view = present_case(request.user, case, signal_limit=None if all_signals else CASE_PAGE_SIGNALS)
    audit.record_read(request, "cases.case", [case.pk], purpose=case.purpose)
    for object_type, ids in view.personal_ids.items():
        audit.record_read(request, object_type, ids, purpose=case.purpose)
    # The case's record of handovers, as far as the viewer may see each.
    visible_handovers = set(
        policy.visible(request.user, Handover.objects.filter(case=case)).values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "view": view,
            "all_signals": all_signals,
            "plans": plans_on_case(request.user, case),
            "handovers": [h for h in handovers.handovers_of(case) if h.pk in visible_handovers],
            "can_hand_over": case.is_open and policy.can(request.user, "hand_over", case),
            "transfer_holds": policy.visible(request.user, holds.active_holds(case)),
        },
    )


def _signals_by_reference(references: list[str]) -> tuple[list[Signal], list[str]]:
    found = {s.reference: s for s in Signal.objects.filter(reference__in=references)}
    return [found[r] for r in references if r in found], [r for r in references if r not in found]


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    """A coordinator opens a case for their own organisation."""
    user = _user(request)
    if not _may_open(user):
        raise PermissionDenied
    lead = user.organisation
    assert lead is not None
    form = forms.OpenCaseForm(
        request.POST or None,
        lead=lead,
        legal_bases=_legal_bases(lead),
        initial={"region": lead.region and (lead.region.police_region() or lead.region)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signals, unknown = _signals_by_reference(data["signals"])
        # A signal the user may not see is "unknown" too: its existence is not revealed.
        unseen = unknown + [s.reference for s in signals if not policy.can(user, "view", s)]
        if unseen:
            form.add_error("signals", _("Unknown signals: %(refs)s.") % {"refs": ", ".join(unseen)})
        else:
            try:
                case = services.open_case(
                    lead_organisation=lead,
                    region=data["region"],
                    signals=signals,
                    care_coordinator=data["care_coordinator"],
                    tlp=data["tlp"],
                    purpose=data["purpose"],
                    legal_basis=data["legal_basis"],
                    sharing_groups=list(data["sharing_groups"]),
                    actor=user,
                    request=request,
                )
            except InvalidFields as exc:
                for field, problems in exc.problems.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, str(problem))
            except SchakelError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("Case %(ref)s was opened.") % {"ref": case.reference})
                return redirect("case_detail", pk=case.pk)
    return render(request, "cases/case_open.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk, "change")
    form = forms.CaseStatusForm(request.POST or None, initial={"status": case.status})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                case,
                data["status"],
                reason=data["reason"],
                referred_to=data["referred_to"],
                actor=_user(request),
                request=request,
            )
        except InvalidFields as exc:
            put_problems(form, exc)
        else:
            messages.success(request, _("The status of the case was recorded."))
            return redirect("case_detail", pk=case.pk)
    held = policy.visible(request.user, holds.active_holds(case))
    return render(
        request, "cases/case_status.html", {"case": case, "form": form, "transfer_holds": held}
    )


def put_problems(form: Any, exc: SchakelError) -> None:
    """A domain error on the form: each problem at its field, or above the form."""
    if not isinstance(exc, InvalidFields):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return
    for field, problems in exc.problems.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, str(problem))


def _person_page(
    request: HttpRequest,
    pk: int,
    person_pk: int,
    *,
    form_class: type[Any],
    save: Any,
    title: str,
    initial: dict[str, Any] | None = None,
) -> HttpResponse:
    case = get_case_for_user(request, pk, "change")
    person = _person_for(request, case, person_pk)
    form = form_class(request.POST or None, initial=initial or {})
    if request.method == "POST" and form.is_valid():
        try:
            save(person, form.cleaned_data)
        except InvalidFields as exc:
            put_problems(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("case_detail", pk=case.pk)
    # The page names the person: shown personal data is audited.
    audit.record_read(request, "cases.caseperson", [person.pk], purpose=case.purpose)
    return render(
        request,
        "cases/person_form.html",
        {"case": case, "person": person, "form": form, "title": title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_trafficking_status(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    user = _user(request)

    def save(person: CasePerson, data: dict[str, Any]) -> None:
        persons.record_trafficking_status(
            person,
            data["status"],
            deciding_organisation=data["deciding_organisation"],
            deciding_organisation_type=data["deciding_organisation_type"],
            decided_on=data["decided_on"],
            basis=data["basis"],
            actor=user,
            request=request,
        )

    assert user.organisation is not None
    return _person_page(
        request,
        pk,
        person_pk,
        form_class=forms.TraffickingStatusForm,
        save=save,
        title=_("Record a trafficking status"),
        initial={
            "deciding_organisation": user.organisation,
            "deciding_organisation_type": deciding_type_for(user.organisation.sector),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_migration_status(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    user = _user(request)

    def save(person: CasePerson, data: dict[str, Any]) -> None:
        persons.record_migration_status(
            person,
            data["status"],
            since=data["since"],
            note=data["note"],
            actor=user,
            request=request,
        )

    return _person_page(
        request,
        pk,
        person_pk,
        form_class=forms.MigrationStatusForm,
        save=save,
        title=_("Record a migration status"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_reflection_offer(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    user = _user(request)

    def save(person: CasePerson, data: dict[str, Any]) -> None:
        persons.offer_reflection_period(
            person,
            offered_on=data["offered_on"],
            offered_by=data["offered_by"],
            note=data["note"],
            actor=user,
            request=request,
        )

    return _person_page(
        request,
        pk,
        person_pk,
        form_class=forms.ReflectionOfferForm,
        save=save,
        title=_("Record the offer of a reflection period"),
        initial={"offered_by": user.organisation},
    )
