"""Signal pages: the short and full forms, the receipt, the list, one signal, triage actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schakel.access import policy
from schakel.access.matrix import current as current_matrix
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.errors import InvalidFields, SchakelError
from schakel.partners.models import Organisation, SharingGroup, User
from schakel.partners.services import region_contacts_for
from schakel.partners.vocabulary import Role
from schakel.signals import attachments, forms, panels, services
from schakel.signals.bulk.access import may_import
from schakel.signals.intake import PersonInput, SignalInput, row_ids
from schakel.signals.models import Band, Channel, SharingDefaults, Signal, Tlp
from schakel.signals.presenter import present
from schakel.signals.rules import triage
from schakel.signals.rules.indicators import catalogue
from schakel.signals.sharing import defaults_for, who_will_see


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def _legal_bases(owner: Organisation) -> list[tuple[str, str]]:
    language = (get_language() or "nl")[:2]
    matrix = current_matrix()
    return [
        (code, matrix.legal_bases[code].get(language, code))
        for code in policy.legal_bases_for(owner.sector)
    ]


@login_required
def signal_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.GET.get("q", "").strip()[:200]
    signals = services.search_signals(user, query) if query else services.visible_signals(user)
    band = request.GET.get("band", "")
    if band in Band.values:
        signals = signals.filter(band=band)
    if request.GET.get("own") == "1":
        signals = signals.filter(owner_organisation=user.organisation)
    page = Paginator(signals, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "signals/signal_list.html",
        {
            "page": page,
            "bands": Band.choices,
            "band": band,
            "own": request.GET.get("own") == "1",
            "query": query,
            "can_import": may_import(user),
            "can_set_defaults": bool(
                {Role.ORG_ADMIN, Role.COORDINATOR, Role.CARE_COORDINATOR} & user.roles
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def signal_create(request: HttpRequest) -> HttpResponse:
    """The full form for professionals."""
    user = _user(request)
    owner = user.organisation
    assert owner is not None
    post = request.POST if request.method == "POST" else None
    adding = post.get("add", "") if post is not None else ""
    if post is not None and adding:
        post = forms.with_one_more_row(post, adding)
    defaults = defaults_for(owner)
    initial = {
        "tlp": defaults.tlp,
        "purpose": defaults.purpose,
        "sharing_groups": defaults.groups,
    }
    form = forms.SignalForm(
        post, request.FILES or None, owner=owner, legal_bases=_legal_bases(owner), initial=initial
    )
    persons = forms.PersonFormSet(post, prefix="persons")
    companies = forms.CompanyFormSet(post, prefix="companies")
    addresses = forms.AddressFormSet(post, prefix="addresses")
    relations, payments = forms.tie_formsets(post, forms.parties_of(post))
    audience = None
    parts = (form, persons, companies, addresses, relations, payments)
    if post is not None and not adding and all(f.is_valid() for f in parts if f.is_bound):
        data, rows = forms.full_form_input(
            form,
            persons,
            companies,
            addresses,
            relations if relations.is_bound else None,
            payments if payments.is_bound else None,
        )
        if "preview" in post:
            audience = who_will_see(
                owner,
                tlp=data.tlp,
                purpose=data.purpose,
                groups=form.cleaned_data["sharing_groups"],
                recipients=form.cleaned_data["recipients"],
            )
        else:
            try:
                # Files are checked before anything is written; signal and attachments are
                # stored in one transaction.
                uploads = attachments.check_uploads(form.cleaned_data["attachments"])
                with transaction.atomic():
                    signal = services.create_signal(
                        data, submitted_by=user, channel=Channel.FULL_FORM, request=request
                    )
                    attachments.attach(signal, uploads, user=user, request=request)
            except InvalidFields as exc:
                forms.put_problems_on_forms(
                    exc,
                    form,
                    persons,
                    rows,
                    companies,
                    addresses,
                    relations=relations,
                    payments=payments,
                )
            else:
                messages.success(
                    request, _("Signal %(reference)s was saved.") % {"reference": signal.reference}
                )
                return redirect("signal_detail", reference=signal.reference)
    if audience is None:
        audience = who_will_see(
            owner,
            tlp=form["tlp"].value() or Tlp.AMBER,
            purpose=form["purpose"].value() or "signal_table_assessment",
            groups=_selected_groups(form, owner),
            recipients=policy.visible(
                request.user,
                Organisation.objects.filter(pk__in=row_ids(form["recipients"].value() or [])),
            ),
        )
    return render(
        request,
        "signals/signal_form.html",
        {
            "form": form,
            "persons": persons,
            "companies": companies,
            "addresses": addresses,
            "relations": relations,
            "payments": payments,
            "audience": audience,
        },
    )


def _selected_groups(form: forms.SignalForm, owner: Organisation) -> list[SharingGroup]:
    # The raw value, as typed (it may not be valid): what names no group is left out.
    value = form["sharing_groups"].value() or []
    ids = row_ids(getattr(v, "pk", v) for v in value)
    return list(SharingGroup.objects.filter(pk__in=ids, members=owner))


@login_required
def sharing_preview(request: HttpRequest) -> HttpResponse:
    """The "who will see what" panel, refreshed by htmx while the form is filled in."""
    user = _user(request)
    owner = user.organisation
    assert owner is not None
    # Values that name no group or organisation are left out: the form names them.
    groups = SharingGroup.objects.filter(
        pk__in=row_ids(request.GET.getlist("sharing_groups")), members=owner
    )
    recipients = policy.visible(
        request.user,
        Organisation.objects.filter(pk__in=row_ids(request.GET.getlist("recipients"))),
    )
    tlp = request.GET.get("tlp", Tlp.AMBER)
    audience = who_will_see(
        owner,
        tlp=tlp if tlp in Tlp.values else Tlp.AMBER,
        purpose=request.GET.get("purpose", "signal_table_assessment"),
        groups=groups,
        recipients=recipients,
    )
    return render(request, "signals/_audience.html", {"audience": audience})


#: Where the short form shows a problem of the signal it builds.
SHORT_FORM_FIELDS = {
    "persons[0].phones": "phone",
    "persons[0].age_band": "age_band",
    "persons[0].gender": "gender",
    "indicator_ids": "indicator_ids",
}


@login_required
@require_http_methods(["GET", "POST"])
def signal_report(request: HttpRequest) -> HttpResponse:
    """The short form for front-desk staff."""
    user = _user(request)
    owner = user.organisation
    assert owner is not None
    defaults = defaults_for(owner)
    form = forms.ShortSignalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = PersonInput(
            role="possible_victim",
            age_band=data["age_band"],
            gender=data["gender"],
            languages=forms._lines(data["languages"]),
            phones=[data["phone"]] if data["phone"] else [],
        )
        description = data["description"]
        if data["place"]:
            description = f"{description}\n\n{_('Place')}: {data['place']}"
        signal_input = SignalInput(
            description=description,
            observed_on=data["observed_on"],
            municipality=owner.region.code
            if owner.region and owner.region.kind == "municipality"
            else "",
            indicator_ids=list(data["indicator_ids"]),
            tlp=_short_form_tlp(defaults.tlp),
            purpose=defaults.purpose,
            sharing_group_ids=[g.pk for g in defaults.groups],
            persons=[person],
        )
        try:
            signal = services.create_signal(
                signal_input, submitted_by=user, channel=Channel.SHORT_FORM, request=request
            )
        except InvalidFields as exc:
            if exc.problems.pop("recipient_ids", None):
                # The short form names no recipients: a problem with them is the
                # organisation's default label, TLP:RED, which goes only to named ones.
                form.add_error(
                    None,
                    _(
                        "Your organisation's sharing label is TLP:RED, which goes only to "
                        "organisations named as recipients, and this form cannot name them. "
                        "Use the full form, or ask your administrator to change the sharing "
                        "defaults."
                    ),
                )
            forms.put_problems_on_forms(exc, form, aliases=SHORT_FORM_FIELDS)
        else:
            return redirect("signal_receipt", reference=signal.reference)
    # Who will see it, shown before it is sent: the organisation's defaults, as applied above.
    audience = who_will_see(
        owner,
        tlp=_short_form_tlp(defaults.tlp),
        purpose=defaults.purpose,
        groups=defaults.groups,
    )
    return render(
        request,
        "signals/signal_report.html",
        {"form": form, "contacts": region_contacts_for(owner), "audience": audience},
    )


def _short_form_tlp(default: str) -> str:
    """The short form has no sharing fields: the organisation's defaults apply, but a label
    without personal data is never chosen there (the short form may hold some)."""
    return default if default != Tlp.CLEAR else Tlp.AMBER


@login_required
def signal_receipt(request: HttpRequest, reference: str) -> HttpResponse:
    signal = get_visible_or_404(request.user, Signal, reference=reference)
    user = _user(request)
    contacts = list(region_contacts_for(user.organisation))
    audit.record_read(
        request, "partners.regioncontact", [c.pk for c in contacts], purpose="guidance"
    )
    return render(
        request,
        "signals/signal_receipt.html",
        {"signal": signal, "contacts": contacts, "urgent": signal.band == Band.URGENT},
    )


@login_required
def signal_detail(request: HttpRequest, reference: str) -> HttpResponse:
    queryset = Signal.objects.select_related(
        "owner_organisation", "municipality", "submitted_by"
    ).prefetch_related("sharing_groups", "recipients")
    signal = get_visible_or_404(request.user, queryset, reference=reference)
    view = present(request.user, signal, overrule=services.current_overrule(signal))
    for object_type, ids in view.personal_ids.items():
        audit.record_read(request, object_type, ids, purpose=signal.purpose)
    audit.record_read(request, "signals.signal", [signal.pk], purpose=signal.purpose)
    record = services.latest_triage(signal)
    result = triage.TriageResult.from_dict(record.result) if record else None
    language = (get_language() or "nl")[:2]
    indicators = [
        catalogue().get(i)
        for i in signal.indicator_set.values_list("indicator_id", flat=True)
        if i in catalogue().ids
    ]
    return render(
        request,
        "signals/signal_detail.html",
        {
            "view": view,
            "signal": signal,
            "triage": result,
            "triage_record": record,
            # What to do with a signal of its band now (the current model's advice; a band
            # decided by a person counts).
            "next_step": triage.current().next_step(signal.band, language) if result else "",
            "language": language,
            "indicators": indicators,
            "can_change": policy.can(request.user, "change", signal),
            "can_retriage": policy.can(request.user, "retriage", signal),
            "bands": Band.choices,
            "model_is_current": result is not None
            and result.model_version == triage.current().version,
            "panels": panels.render(request, signal),
        },
    )


@login_required
@require_POST
def signal_overrule(request: HttpRequest, reference: str) -> HttpResponse:
    signal = get_visible_or_404(request.user, Signal, reference=reference)
    try:
        services.overrule_band(
            signal,
            request.POST.get("band", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except SchakelError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your decision on the band was recorded."))
    return redirect("signal_detail", reference=signal.reference)


@login_required
@require_POST
def signal_retriage(request: HttpRequest, reference: str) -> HttpResponse:
    signal = get_visible_or_404(request.user, Signal, reference=reference)
    try:
        services.retriage_signal(
            signal,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except SchakelError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The signal was triaged again with the current model."))
    return redirect("signal_detail", reference=signal.reference)


@login_required
def attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """An attachment, only for viewers who may see the signal's general details in full."""
    signal = get_visible_or_404(request.user, Signal, reference=reference)
    if not policy.decide(request.user, "view", signal).is_full("general"):
        raise Http404
    attachment = signal.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    path = attachments.path_for(attachment)
    if not path.exists():
        raise Http404
    audit.record_read(request, "signals.attachment", [attachment.pk], purpose=signal.purpose)
    response = FileResponse(
        path.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.original_name,
    )
    # Never let a browser guess a type, and keep the file out of shared caches.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def sharing_defaults(request: HttpRequest) -> HttpResponse:
    """The organisation's defaults for sharing its signals."""
    user = _user(request)
    owner = user.organisation
    assert owner is not None
    stored, _created = SharingDefaults.objects.get_or_create(organisation=owner)
    if not policy.can(user, "change", stored):
        raise Http404
    form = forms.SharingDefaultsForm(request.POST or None, instance=stored, owner=owner)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record_change(request, "update", "signals.sharingdefaults", [stored.pk])
        messages.success(request, _("The sharing defaults were saved."))
        return redirect("signal_sharing_defaults")
    return render(
        request,
        "signals/sharing_defaults.html",
        {
            "form": form,
            "audience": who_will_see(
                owner, tlp=stored.tlp, purpose=stored.purpose, groups=defaults_for(owner).groups
            ),
        },
    )


@login_required
def guidance(request: HttpRequest) -> HttpResponse:
    """What to do, and not do, when you meet a possible victim; whom to call in your region."""
    user = _user(request)
    contacts = list(region_contacts_for(user.organisation))
    audit.record_read(
        request, "partners.regioncontact", [c.pk for c in contacts], purpose="guidance"
    )
    return render(request, "signals/guidance.html", {"contacts": contacts})
