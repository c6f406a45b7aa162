"""REST endpoints for signals (version 1): intake, list, detail, a narrow update, re-triage.

Thin adapters over ``services`` (create_signal, retriage_signal, visible_signals),
``updates.update_signal`` and ``presenter.present``: the detail is built from what the
presenter lets the viewer see, so hidden personal data never reaches a serializer — in its
place are *hits* (what kind of thing is there, and whom to contact).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

from django.db import IntegrityError
from django.db.models import QuerySet
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.constraints import violates_unique
from schakel.errors import Conflict, InvalidFields
from schakel.partners.models import User
from schakel.rows import Deferred
from schakel.signals import services, updates
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PaymentInput,
    PersonInput,
    RelationInput,
    SignalInput,
)
from schakel.signals.models import SOURCE_KEY_UNIQUE, Band, Channel, Signal, Tlp, TriageRecord
from schakel.signals.presenter import SignalView, present
from schakel.web import idempotency
from schakel.web.api import V1_NAMESPACE, error
from schakel.web.api_input import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
    id_list,
    items,
    text,
    text_list,
)
from schakel.web.parsers import JSONParser

#: At most this many persons, companies, addresses or values in one list of a signal.
MAX_ITEMS = 100

#: The API's names for SignalInput's fields where they differ, for error paths too.
API_NAMES = {"sharing_group_ids": "sharing_groups", "recipient_ids": "recipients"}
INPUT_NAMES = {api: name for name, api in API_NAMES.items()}

COUNTRY_HELP = (
    "ISO 3166-1 alpha-2 country code in any case, or XK (Kosovo); UK and EL are taken and "
    "stored as GB and GR."
)
RECIPIENTS_HELP = (
    "Ids of the named recipient organisations: for TLP:RED only, and a RED signal needs at "
    "least one (it goes to no one else)."
)


# --- What a client sends ---------------------------------------------------------------


class IdentityNumberInput(StrictSerializer):
    kind = StrictCharField(max_length=32)
    number = StrictCharField(max_length=100)


class PersonInputSerializer(StrictSerializer):
    role = StrictCharField(max_length=32)
    given_names = text(200)
    family_name = text(200)
    alias = text(200)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    age_band = text(16)
    gender = text(16)
    nationality = text(8, help_text=COUNTRY_HELP)
    migration_status = text(32)
    languages = text_list(16, max_length=MAX_ITEMS)
    identity_numbers = items(IdentityNumberInput(), MAX_ITEMS)
    phones = text_list(100, max_length=MAX_ITEMS)
    emails = text_list(254, max_length=MAX_ITEMS)


class CompanyInputSerializer(StrictSerializer):
    name = StrictCharField(max_length=300, allow_blank=True)
    registration_number = text(32)
    role = text(32)


class AddressInputSerializer(StrictSerializer):
    street = text(200)
    house_number = text(16)
    postcode = text(16)
    city = text(120)
    country = text(2, default="NL", help_text=f"{COUNTRY_HELP} NL unless given.")
    is_place_of_observation = StrictBooleanField(required=False, default=False)


def _index(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(
        min_value=0, required=False, allow_null=True, default=None, help_text=help_text
    )


class RelationInputSerializer(StrictSerializer):
    """A tie between two of the signal's persons (family, associate) or a person and one of
    its companies (director, owner, employee), by their positions in ``persons`` and
    ``companies`` (counting from 0)."""

    kind = StrictCharField(
        max_length=16, help_text="family, associate, director, owner or employee."
    )
    person = _index("Position of the person in persons.")
    other_person = _index("family and associate: position of the other person in persons.")
    company = _index("director, owner and employee: position of the company in companies.")
    relationship = text(
        32,
        help_text="family only: what the other person is to the person: partner, parent, "
        "child, sibling or other_family.",
    )


class PaymentInputSerializer(StrictSerializer):
    """A payment reported in the signal. Each side is exactly one of a person, a company
    (positions in persons and companies, from 0) or an IBAN; an IBAN not in ``ibans`` is
    added to the signal's accounts."""

    payer_person = _index("Position of the paying person in persons.")
    payer_company = _index("Position of the paying company in companies.")
    payer_iban = text(64, help_text="The account paid from.")
    beneficiary_person = _index("Position of the receiving person in persons.")
    beneficiary_company = _index("Position of the receiving company in companies.")
    beneficiary_iban = text(64, help_text="The account paid to.")
    amount = text(
        32, help_text='As a string, digits with at most two decimals: "1500" or "1500.50".'
    )
    currency = text(8, default="EUR", help_text="ISO 4217 code, EUR unless given.")
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    purpose = text(300, help_text="What the payment was for, as reported.")


class SignalInputSerializer(StrictSerializer):
    """A new signal: the fields of the full form. Every value is checked again by the intake
    validation, which names each problem with its path (``persons[0].date_of_birth``)."""

    external_id = text(
        128, help_text="Your own id for this signal; a second signal with it is refused (409)."
    )
    description = text()
    observed_on = serializers.DateField(required=False, allow_null=True, default=None)
    municipality = text(16, help_text="CBS code, e.g. GM0758.")
    forms_of_exploitation = text_list(40, max_length=MAX_ITEMS)
    indicator_ids = text_list(80, max_length=MAX_ITEMS)
    tags = text_list(40, max_length=MAX_ITEMS)
    tlp = text(
        16,
        default=Tlp.AMBER,
        help_text="CLEAR, GREEN, AMBER, AMBER+STRICT or RED. RED needs recipients.",
    )
    purpose = text(40, default="signal_table_assessment")
    legal_basis = text(40)
    sharing_groups = id_list(max_length=MAX_ITEMS, help_text="Ids of sharing groups.")
    recipients = id_list(max_length=MAX_ITEMS, help_text=RECIPIENTS_HELP)
    source_reliability = text(1)
    information_reliability = text(1)
    identity_withheld = StrictBooleanField(required=False, default=False)
    reporter_withheld = StrictBooleanField(required=False, default=False)
    persons = items(PersonInputSerializer(), MAX_ITEMS)
    companies = items(CompanyInputSerializer(), MAX_ITEMS)
    addresses = items(AddressInputSerializer(), MAX_ITEMS)
    phones = text_list(100, max_length=MAX_ITEMS)
    emails = text_list(254, max_length=MAX_ITEMS)
    ibans = text_list(64, max_length=MAX_ITEMS)
    plates = text_list(32, max_length=MAX_ITEMS)
    websites = text_list(max_length=MAX_ITEMS)
    relations = items(RelationInputSerializer(), MAX_ITEMS)
    payments = items(PaymentInputSerializer(), MAX_ITEMS)

    def signal_input(self) -> tuple[SignalInput, str]:
        """The validated body as intake's SignalInput, and the external id."""
        data = dict(self.validated_data)
        external_id = data.pop("external_id").strip()
        persons = [
            PersonInput(
                **{
                    **person,
                    "identity_numbers": [
                        (n["kind"], n["number"]) for n in person.get("identity_numbers", [])
                    ],
                }
            )
            for person in data.pop("persons", [])
        ]
        companies = [CompanyInput(**c) for c in data.pop("companies", [])]
        addresses = [AddressInput(**a) for a in data.pop("addresses", [])]
        relations = [RelationInput(**r) for r in data.pop("relations", [])]
        payments = [PaymentInput(**p) for p in data.pop("payments", [])]
        for api_name, name in INPUT_NAMES.items():
            data[name] = data.pop(api_name)
        signal_input = SignalInput(
            **data,
            persons=persons,
            companies=companies,
            addresses=addresses,
            relations=relations,
            payments=payments,
        )
        return signal_input, external_id


class SignalChangeSerializer(StrictSerializer):
    """What an update may change; every other field of a signal is fixed after intake."""

    fixed_fields = frozenset(SignalInputSerializer._declared_fields) - {
        "description",
        "indicator_ids",
        "forms_of_exploitation",
        "tlp",
        "purpose",
        "sharing_groups",
        "recipients",
    }

    description = StrictCharField(allow_blank=True, trim_whitespace=False)
    indicator_ids = text_list(80, max_length=MAX_ITEMS)
    forms_of_exploitation = text_list(40, max_length=MAX_ITEMS)
    tlp = StrictCharField(max_length=16)
    purpose = StrictCharField(max_length=40)
    sharing_groups = id_list(max_length=MAX_ITEMS)
    recipients = id_list(max_length=MAX_ITEMS, help_text=RECIPIENTS_HELP)

    def changes(self) -> dict[str, Any]:
        return {INPUT_NAMES.get(name, name): value for name, value in self.validated_data.items()}


# --- What a client receives -----------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReceiptSerializer(serializers.Serializer[Any]):
    """The answer to a new signal: no personal data, so that it may be stored for retries."""

    reference = serializers.CharField()
    url = serializers.CharField()
    band = serializers.ChoiceField(choices=Band.choices)
    received_at = serializers.DateTimeField()
    external_id = serializers.CharField(allow_null=True)


#: How ReceiptSerializer writes ``received_at``.
_RECEIVED_AT = serializers.DateTimeField()


def receipt_for(signal: Signal, url: str, external_id: str | None) -> dict[str, Any]:
    """What ``ReceiptSerializer`` makes of a new signal, built directly: a serializer for
    five plain values costs more CPU than the rest of the answer (the serializer stays as
    the OpenAPI document's description of it, and a test holds the two together)."""
    return {
        "reference": signal.reference,
        "url": url,
        "band": str(signal.band),
        "received_at": _RECEIVED_AT.to_representation(signal.received_at),
        "external_id": external_id,
    }


class TriageSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=TriageRecord.Kind.choices)
    model_version = serializers.CharField()
    score = serializers.FloatField()
    band = serializers.ChoiceField(choices=Band.choices)
    created_at = serializers.DateTimeField()
    reasons = serializers.ListField(child=serializers.DictField(), source="result.reasons")


class SignalSummarySerializer(serializers.Serializer[Any]):
    """A row of the list: what the signal is about, without personal data."""

    reference = serializers.CharField()
    url = serializers.SerializerMethodField()
    owner_organisation = OrganisationRefSerializer()
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_at = serializers.DateTimeField()
    observed_on = serializers.DateField(allow_null=True)
    municipality = serializers.CharField(
        source="municipality.code", allow_null=True, help_text="CBS code, e.g. GM0758."
    )
    forms_of_exploitation = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    tlp = serializers.ChoiceField(choices=Tlp.choices)
    purpose = serializers.CharField()
    band = serializers.ChoiceField(choices=Band.choices)

    def get_url(self, signal: Signal) -> str:
        return signal_url(signal)


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    role = serializers.CharField()
    given_names = serializers.CharField()
    family_name = serializers.CharField()
    alias = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    age_band = serializers.CharField()
    gender = serializers.CharField()
    nationality = serializers.CharField()
    migration_status = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())


class CompanySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    registration_number = serializers.CharField()
    role = serializers.CharField()


class AddressSerializer(serializers.Serializer[Any]):
    street = serializers.CharField()
    house_number = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    is_place_of_observation = serializers.BooleanField()


class IdentifierSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    subkind = serializers.CharField(help_text="For identity numbers: passport, bsn, ...")
    value = serializers.CharField()
    person = serializers.IntegerField(source="person_id", allow_null=True)


class RelationSerializer(serializers.Serializer[Any]):
    """A tie the signal states; persons and companies by their ``id`` in this answer."""

    kind = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    other_person = serializers.IntegerField(source="other_person_id", allow_null=True)
    company = serializers.IntegerField(source="company_id", allow_null=True)
    relationship = serializers.CharField()


class PaymentSerializer(serializers.Serializer[Any]):
    """A payment the signal reports; persons and companies by their ``id`` in this answer."""

    payer_person = serializers.IntegerField(source="payer_person_id", allow_null=True)
    payer_company = serializers.IntegerField(source="payer_company_id", allow_null=True)
    payer_iban = serializers.CharField()
    beneficiary_person = serializers.IntegerField(source="beneficiary_person_id", allow_null=True)
    beneficiary_company = serializers.IntegerField(source="beneficiary_company_id", allow_null=True)
    beneficiary_iban = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    paid_on = serializers.DateField(allow_null=True)
    purpose = serializers.CharField()


class HitSerializer(serializers.Serializer[Any]):
    """Something is there that the viewer may not see, and whom to ask about it."""

    kind = serializers.CharField(source="what")
    contact_organisation = serializers.CharField()
    contact_email = serializers.CharField()


class SignalDetailSerializer(SignalSummarySerializer):
    """One signal as the presenter lets the viewer see it (a ``SignalView``).

    ``description``, ``companies``, ``addresses``, ``reliability`` and ``submitted_by`` are
    left out — not empty, absent — when the viewer may not see them; ``persons``,
    ``identifiers``, ``relations`` and ``payments`` hold only what the viewer may see (a
    relation or payment only when everything it names is shown); ``hits`` says what else is
    there.
    """

    indicator_ids = serializers.ListField(child=serializers.CharField())
    sharing_groups = OrganisationRefSerializer(many=True)
    recipients = OrganisationRefSerializer(many=True)
    identity_withheld = serializers.BooleanField()
    reporter_withheld = serializers.BooleanField()
    triage = TriageSerializer(allow_null=True)
    submitted_by = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    reliability = serializers.DictField(child=serializers.CharField(), required=False)
    persons = PersonSerializer(many=True)
    companies = CompanySerializer(many=True, required=False)
    addresses = AddressSerializer(many=True, required=False)
    identifiers = IdentifierSerializer(many=True)
    relations = RelationSerializer(many=True)
    payments = PaymentSerializer(many=True)
    hits = HitSerializer(many=True)
    redacted = serializers.BooleanField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        view: SignalView = instance
        signal = view.signal
        general_visible = view.description is not None
        data: dict[str, Any] = dict(SignalSummarySerializer(signal, context=self.context).data)
        data["indicator_ids"] = sorted(signal.indicator_set.values_list("indicator_id", flat=True))
        data["sharing_groups"] = [{"id": g.pk, "name": g.name} for g in signal.sharing_groups.all()]
        data["recipients"] = [{"id": o.pk, "name": o.name} for o in signal.recipients.all()]
        data["identity_withheld"] = signal.identity_withheld
        data["reporter_withheld"] = signal.reporter_withheld
        record = services.latest_triage(signal)
        data["triage"] = TriageSerializer(record).data if record else None
        if view.submitter is not None:
            data["submitted_by"] = view.submitter.get_full_name() or view.submitter.username
        if general_visible:
            data["description"] = view.description
        if view.reliability is not None:
            source, information = view.reliability
            data["reliability"] = {"source": source, "information": information}
        data["persons"] = PersonSerializer(view.persons, many=True).data
        if general_visible:
            data["companies"] = CompanySerializer(view.companies, many=True).data
            data["addresses"] = AddressSerializer(view.addresses, many=True).data
        data["identifiers"] = IdentifierSerializer(view.identifiers, many=True).data
        data["relations"] = RelationSerializer(view.relations, many=True).data
        data["payments"] = PaymentSerializer(view.payments, many=True).data
        data["hits"] = HitSerializer(view.hits, many=True).data
        data["redacted"] = view.redacted
        return data


class RetriageSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    band = serializers.ChoiceField(choices=Band.choices, help_text="After any overruling.")
    triage = TriageSerializer()


# --- Errors -----------------------------------------------------------------------------


class DuplicateExternalId(Conflict):
    code = "duplicate_external_id"

    def __init__(self, reference: str | None) -> None:
        self.reference = reference
        message = (
            _("Your organisation already sent a signal with this external_id: %(reference)s.")
            % {"reference": reference}
            if reference
            else _("Your organisation already sent a signal with this external_id.")
        )
        super().__init__(message, field="external_id")

    def as_list(self) -> list[dict[str, str]]:
        problem = self.as_dict()
        if self.reference:
            problem["reference"] = self.reference
        return [problem]


def _api_names(exc: InvalidFields) -> InvalidFields:
    """Intake's problems under the names the API uses (``sharing_groups[0]``)."""
    renamed: dict[str, Any] = {}
    for path, messages in exc.problems.items():
        head, dot, rest = path.partition(".")
        name, bracket, index = head.partition("[")
        renamed[f"{API_NAMES.get(name, name)}{bracket}{index}{dot}{rest}"] = messages
    return InvalidFields(renamed)


# --- Endpoints -------------------------------------------------------------------------------


def signal_url(signal: Signal) -> str:
    """The API address of ``signal``: what ``reverse`` gives, from the address it gives once
    per script prefix (reversing a namespaced name costs about 2 % of a signal taken in over
    the API, whose receipt names it). A reference that would need quoting is reversed."""
    if not _PLAIN_REFERENCE.fullmatch(signal.reference):
        return reverse(f"{V1_NAMESPACE}:signal-detail", kwargs={"reference": signal.reference})
    return _detail_prefix(get_script_prefix()) + signal.reference + "/"


_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9-]+")


@functools.lru_cache(maxsize=8)
def _detail_prefix(script_prefix: str) -> str:
    marker = "S-0"
    address = reverse(f"{V1_NAMESPACE}:signal-detail", kwargs={"reference": marker})
    if not address.endswith(f"/{marker}/"):
        raise RuntimeError(f"a signal's API address no longer ends in its reference: {address}")
    return address[: -len(marker) - 1]


LIST_PARAMETERS = [
    OpenApiParameter("band", str, enum=Band.values, description="Only signals in this band."),
    OpenApiParameter("owner", str, enum=["mine"], description="mine: my organisation's."),
    OpenApiParameter(
        "received_after",
        OpenApiTypes.DATETIME,
        description="Received at or after this moment (a date means its first moment).",
    ),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="Retry safely: the same key and body give the original answer (24 hours).",
)


class SignalPagination(pagination.LimitOffsetPagination):
    """?limit=&offset= as elsewhere in the API (100 by default), at most 500 at once."""

    max_limit = 500


class SignalViewSet(viewsets.GenericViewSet[Signal]):
    """Signals under the access policy: lists filter in the query, a signal the user may not
    see is 404, and its detail shows only what the presenter allows."""

    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    parser_classes = [JSONParser]
    pagination_class = SignalPagination
    serializer_class = SignalSummarySerializer

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[Signal]:
        return services.visible_signals(self._user())

    def _visible(self, reference: str) -> Signal:
        queryset = Signal.objects.select_related(
            "owner_organisation", "municipality", "submitted_by"
        ).prefetch_related("sharing_groups", "recipients")
        return get_visible_or_404(self._user(), queryset, reference=reference)

    def _detail(self, request: Request, signal: Signal) -> dict[str, Any]:
        view = present(self._user(), signal)
        for object_type, ids in view.personal_ids.items():
            audit.record_read(request, object_type, ids, purpose=signal.purpose)
        audit.record_read(request, "signals.signal", [signal.pk], purpose=signal.purpose)
        return dict(SignalDetailSerializer(view).data)

    @extend_schema(
        summary="Signals the user may see, newest first",
        parameters=LIST_PARAMETERS,
        responses={
            200: SignalSummarySerializer(many=True),
            400: error("A filter has a value it does not know."),
        },
    )
    def list(self, request: Request) -> Response:
        signals = self.get_queryset()
        params = request.query_params
        problems: dict[str, list[Any]] = {}
        band = params.get("band")
        if band is not None:
            if band in Band.values:
                signals = signals.filter(band=band)
            else:
                problems["band"] = [_("Unknown band.")]
        owner = params.get("owner")
        if owner is not None:
            if owner == "mine":
                signals = signals.filter(owner_organisation_id=self._user().organisation_id)
            else:
                problems["owner"] = [_("Use owner=mine, or leave it out.")]
        received_after = params.get("received_after")
        if received_after is not None:
            moment = _moment(received_after)
            if moment is None:
                problems["received_after"] = [_("Use a date (2026-11-01) or a date and time.")]
            else:
                signals = signals.filter(received_at__gte=moment)
        if problems:
            raise InvalidFields(problems)
        page = self.paginate_queryset(signals)
        rows = SignalSummarySerializer(page if page is not None else signals, many=True).data
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(
        summary="Hand in a signal",
        description="Validated like the full form; triaged at once. The answer holds no "
        "personal data. With an Idempotency-Key, a retry gets the original answer.",
        request=SignalInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: ReceiptSerializer,
            400: error("Bad input; every problem named with its field."),
            409: error("Your organisation sent this external_id before."),
            413: error("The body is larger than the server accepts."),
            422: error("The Idempotency-Key was used for another request."),
        },
    )
    def create(self, request: Request) -> Response:
        try:
            return idempotency.respond_once(request, lambda answer: self._create(request, answer))
        except _ExternalIdTaken as taken:
            # Looked up only now that the transaction is rolled back whole: the signal, its
            # mentions, audit entry and queued jobs, and the Idempotency-Key's record (a
            # refusal is not remembered; a retry is refused again the same way).
            raise _duplicate_external_id(self._user(), taken.external_id) from None

    def _create(self, request: Request, answer: idempotency.Answer) -> Response:
        body = SignalInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, external_id = body.signal_input()

        def receipt(signals: Sequence[Signal], statements: Deferred | None) -> None:
            # The answer is known once the signal is built: the Idempotency-Key's record of
            # it goes with the signal's rows, not in a round trip after them.
            (signal,) = signals
            url = signal_url(signal)
            answer.hold(
                Response(
                    receipt_for(signal, url, external_id or None),
                    status=201,
                    headers={"Location": request.build_absolute_uri(url)},
                ),
                statements,
            )

        try:
            services.create_signal(
                data,
                submitted_by=self._user(),
                channel=Channel.API,
                source_key=external_id or "",
                request=request,
                also=receipt,
            )
        except InvalidFields as exc:
            raise _api_names(exc) from None
        except IntegrityError as exc:
            # No lookup before: duplicates are rare, and the unique key is the check that
            # holds — also against a concurrent twin, whose INSERT waits for ours to end and
            # fails once it committed. Any other integrity error stays a fault.
            if external_id and violates_unique(exc, Signal, SOURCE_KEY_UNIQUE):
                raise _ExternalIdTaken(external_id) from exc
            raise
        if answer.held is None:
            raise RuntimeError("the signal was written without its receipt")
        return answer.held

    @extend_schema(
        summary="One signal, as far as the user may see it",
        responses={200: SignalDetailSerializer, 404: error("No such signal, or not yours to see.")},
    )
    def retrieve(self, request: Request, reference: str) -> Response:
        return Response(self._detail(request, self._visible(reference)))

    @extend_schema(
        summary="Change the description, indicators or sharing (owner organisation)",
        description="Validated like intake and audited. Triage is not run again: use "
        "retriage/ for that.",
        request=SignalChangeSerializer,
        responses={
            200: SignalDetailSerializer,
            400: error("Bad input, or a field that cannot be changed."),
            403: error("You may see the signal but not change it."),
            404: error("No such signal, or not yours to see."),
            409: error("The signal was anonymised; it can no longer be changed."),
        },
    )
    def partial_update(self, request: Request, reference: str) -> Response:
        signal = self._visible(reference)
        body = SignalChangeSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            updates.update_signal(signal, body.changes(), actor=self._user(), request=request)
        except InvalidFields as exc:
            raise _api_names(exc) from None
        return Response(self._detail(request, self._visible(reference)))

    @extend_schema(
        summary="Triage again with the current model",
        request=None,
        responses={
            200: RetriageSerializer,
            403: error("You may see the signal but not triage it."),
            404: error("No such signal, or not yours to see."),
        },
    )
    @action(detail=True, methods=["post"])
    def retriage(self, request: Request, reference: str) -> Response:
        """Triage again with the current model; the earlier results stay beside it."""
        signal = self._visible(reference)
        record = services.retriage_signal(signal, actor=self._user(), request=request)
        signal.refresh_from_db(fields=["band"])
        return Response(
            RetriageSerializer(
                {"reference": signal.reference, "band": signal.band, "triage": record}
            ).data
        )


class _ExternalIdTaken(Exception):
    """The unique key refused the signal's external id; answered once rolled back."""

    def __init__(self, external_id: str) -> None:
        super().__init__(external_id)
        self.external_id = external_id


def _duplicate_external_id(user: User, external_id: str) -> DuplicateExternalId:
    """The refusal, naming the signal that holds the external id if ``user`` may see it
    (none when it was deleted since the key refused ours)."""
    existing = Signal.objects.filter(
        owner_organisation_id=user.organisation_id, source_key=external_id
    ).first()
    if existing is None or not policy.can(user, "view", existing):
        return DuplicateExternalId(None)
    return DuplicateExternalId(existing.reference)


#: The first and last moments Python can hold in UTC.
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _moment(raw: str) -> datetime | None:
    """The moment ``raw`` names, in UTC; ``None`` when it names none."""
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime.combine(day, time.min) if day is not None else None
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # A valid date and time that falls before year 1 or after year 9999 in UTC (the first
        # day in a zone east of UTC, the last in one west of it). No signal is received that
        # early or that late: the first or last moment UTC can hold filters alike.
        return _EARLIEST if moment.year == 1 else _LATEST
