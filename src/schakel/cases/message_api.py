"""REST endpoints of the secured line (version 1): ``/api/v1/cases/{case_pk}/messages/`` — the
case's messages the user may see (their parties only), writing one or replying to one — and
``/api/v1/cases/{case_pk}/consents/`` — the consents of the case's people, for its lead and
care coordinator, recording one and its withdrawal. Thin adapters over ``messages``; 404 for
whoever is not a party; every message body returned is audited with its purpose.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import consents
from schakel.cases import messages as secured_line
from schakel.cases.models import Case, CaseMessage, Consent
from schakel.cases.vocabulary import WRITTEN_MESSAGE_KINDS, MessageKind, htcds_consent
from schakel.errors import InvalidFields
from schakel.partners.models import Organisation, User
from schakel.web.api import V1_NAMESPACE, error
from schakel.web.api_input import (
    StrictBooleanField,
    StrictIntegerField,
    StrictSerializer,
    id_list,
    text,
    text_list,
)
from schakel.web.parsers import JSONParser

# --- What a client sends -------------------------------------------------------------------


class MessageInputSerializer(StrictSerializer):
    kind = text(32, help_text=", ".join(WRITTEN_MESSAGE_KINDS))
    recipients = id_list(help_text="Ids of the organisations; empty for a reply.")
    subject = text(200)
    body = text(10000)
    purpose = text(40, help_text="A purpose code, e.g. criminal_investigation.")
    legal_basis = text(40, help_text="A legal-basis code your organisation may invoke.")
    consent = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="Shared under this consent."
    )
    in_reply_to = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="Id of the message answered."
    )


class ConsentInputSerializer(StrictSerializer):
    person = StrictIntegerField(help_text="Id of the person of the case (cases.caseperson).")
    purpose = text(40)
    scope = text(4000, help_text="What may be shared.")
    organisations = id_list(help_text="Ids of the justice organisations it may be shared with.")
    sectors = text_list(40, help_text="Or every organisation of these justice sectors.")
    informed = StrictBooleanField(help_text="The person was told what it means.")
    given_on = serializers.DateField()


class WithdrawInputSerializer(StrictSerializer):
    note = text(2000)


# --- What a client receives ----------------------------------------------------------------


class RefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    case = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MessageKind.values)
    sender_organisation = RefSerializer()
    sender = serializers.CharField()
    recipients = RefSerializer(many=True)
    subject = serializers.CharField()
    body = serializers.CharField(help_text="Empty when shared under a consent since withdrawn.")
    body_shown = serializers.BooleanField()
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    consent = serializers.IntegerField(allow_null=True)
    consent_withdrawn_at = serializers.DateTimeField(allow_null=True)
    in_reply_to = serializers.IntegerField(allow_null=True)
    sent_at = serializers.DateTimeField()


class ConsentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    case = serializers.IntegerField()
    person = serializers.IntegerField()
    purpose = serializers.CharField()
    scope = serializers.CharField()
    organisations = RefSerializer(many=True)
    sectors = serializers.ListField(child=serializers.CharField())
    informed = serializers.BooleanField()
    given_on = serializers.DateField()
    recorded_by = serializers.CharField()
    recorded_organisation = RefSerializer()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = serializers.CharField(allow_null=True)
    htcds = serializers.DictField(help_text="HTCDS v2.0: con_Consent.")


def _ref(organisation: Organisation) -> dict[str, Any]:
    return {"id": organisation.pk, "name": organisation.name}


def _message_data(view: secured_line.MessageView) -> dict[str, Any]:
    message = view.message
    return {
        "id": message.pk,
        "url": reverse(
            f"{V1_NAMESPACE}:case-message-detail",
            kwargs={"case_pk": message.case_id, "pk": message.pk},
        ),
        "case": message.case_id,
        "kind": message.kind,
        "sender_organisation": _ref(message.sender_organisation),
        "sender": str(message.sender),
        "recipients": [_ref(org) for org in view.recipients],
        "subject": view.subject,
        "body": view.body,
        "body_shown": view.body_shown,
        "purpose": message.purpose,
        "legal_basis": message.legal_basis,
        "consent": message.consent_id if view.body_shown else None,
        "consent_withdrawn_at": view.consent_withdrawn_at,
        "in_reply_to": message.in_reply_to_id,
        "sent_at": message.sent_at,
    }


def _consent_data(consent: Consent) -> dict[str, Any]:
    withdrawal = getattr(consent, "withdrawal", None)
    return {
        "id": consent.pk,
        "reference": consent.reference,
        "case": consent.case_id,
        "person": consent.person_id,
        "purpose": consent.purpose,
        "scope": consent.scope,
        "organisations": [_ref(org) for org in consent.organisations.all()],
        "sectors": list(consent.sectors),
        "informed": consent.informed,
        "given_on": consent.given_on,
        "recorded_by": str(consent.recorded_by),
        "recorded_organisation": _ref(consent.recorded_organisation),
        "withdrawn_at": withdrawal.withdrawn_at if withdrawal is not None else None,
        "withdrawn_by": str(withdrawal.withdrawn_by) if withdrawal is not None else None,
        "htcds": htcds_consent(withdrawn=withdrawal is not None),
    }


def _case(pk: str) -> Case:
    case = Case.objects.select_related("care_coordinator").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


class _LineViewSet(viewsets.GenericViewSet[Any]):
    parser_classes = [JSONParser]
    pagination_class = None

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        if user.organisation is None:
            raise Http404
        return user


# --- Endpoints -------------------------------------------------------------------------------


@extend_schema(parameters=[OpenApiParameter("case_pk", int, OpenApiParameter.PATH)])
class CaseMessageViewSet(_LineViewSet):
    """A case's secured line: the messages the user's organisation sent or received."""

    serializer_class = MessageSerializer

    def get_queryset(self) -> QuerySet[CaseMessage]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's dry run
            return CaseMessage.objects.none()
        return secured_line.visible_messages(self._user(), _case(self.kwargs["case_pk"]))

    def _respond(self, request: Request, rows: list[CaseMessage], status: int = 200) -> Response:
        user = self._user()
        views = [secured_line.present_message(user, message) for message in rows]
        secured_line.audit_shown(request, views)
        return Response([_message_data(v) for v in views], status=status)

    @extend_schema(
        summary="The case's messages you may see (you sent or received them), oldest first",
        responses={200: MessageSerializer(many=True), 404: error("Not a party of this line.")},
    )
    def list(self, request: Request, case_pk: str) -> Response:
        user = self._user()
        case = _case(case_pk)
        rows = list(self.get_queryset())
        if not rows and not secured_line.may_send(user, case):
            raise Http404
        return self._respond(request, rows)

    @extend_schema(
        summary="One message of the line",
        responses={200: MessageSerializer, 404: error("No such message, or not yours.")},
    )
    def retrieve(self, request: Request, case_pk: str, pk: str) -> Response:
        message = get_visible_or_404(
            self._user(), secured_line.message_queryset(), pk=pk, case_id=case_pk
        )
        response = self._respond(request, [message])
        response.data = response.data[0]
        return response

    @extend_schema(
        summary="Write on the line, or reply to a message (in_reply_to)",
        request=MessageInputSerializer,
        responses={
            201: MessageSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("You may see the case but not write on its line."),
            404: error("No such case or message, or not yours."),
        },
    )
    def create(self, request: Request, case_pk: str) -> Response:
        user = self._user()
        body = MessageInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        consent = None
        if data["consent"] is not None:
            consent = Consent.objects.filter(pk=data["consent"], case_id=case_pk).first()
            if consent is None:
                raise InvalidFields({"consent": [_("Unknown consent.")]})
        values = {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data["body"],
            "purpose": data["purpose"],
            "legal_basis": data["legal_basis"],
            "consent": consent,
            "actor": user,
            "request": request,
        }
        if data["in_reply_to"] is not None:
            parent = get_visible_or_404(
                user, secured_line.message_queryset(), pk=data["in_reply_to"], case_id=case_pk
            )
            message = secured_line.reply(parent, **values)
        else:
            case = get_visible_or_404(user, Case.objects.all(), pk=case_pk)
            recipients = list(Organisation.objects.filter(pk__in=data["recipients"]))
            if len(recipients) != len(set(data["recipients"])):
                raise InvalidFields({"recipients": [_("Unknown organisation.")]})
            message = secured_line.send_message(case, recipients=recipients, **values)
        response = self._respond(
            request, [secured_line.message_queryset().get(pk=message.pk)], status=201
        )
        response.data = response.data[0]
        response["Location"] = request.build_absolute_uri(response.data["url"])
        return response


@extend_schema(parameters=[OpenApiParameter("case_pk", int, OpenApiParameter.PATH)])
class ConsentViewSet(_LineViewSet):
    """The consents of a case's people, for its lead organisation and care coordinator."""

    serializer_class = ConsentSerializer

    def get_queryset(self) -> QuerySet[Consent]:
        if getattr(self, "swagger_fake_view", False):
            return Consent.objects.none()
        return consents.consents_of(self._user(), _case(self.kwargs["case_pk"]))

    def _respond(self, request: Request, rows: list[Consent], status: int = 200) -> Response:
        for consent in rows:
            audit.record_read(request, "cases.consent", [consent.pk], purpose=consent.purpose)
        return Response([_consent_data(c) for c in rows], status=status)

    @extend_schema(
        summary="The case's consents",
        responses={200: ConsentSerializer(many=True), 404: error("Not yours to see.")},
    )
    def list(self, request: Request, case_pk: str) -> Response:
        rows = list(self.get_queryset())
        if not rows and not consents.may_record_consent(self._user(), _case(case_pk)):
            raise Http404
        return self._respond(request, rows)

    @extend_schema(
        summary="Record a person's consent",
        request=ConsentInputSerializer,
        responses={
            201: ConsentSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("Only the case's lead and care coordinator record consent."),
            404: error("No such case, or not yours."),
        },
    )
    def create(self, request: Request, case_pk: str) -> Response:
        user = self._user()
        case = get_visible_or_404(user, Case.objects.all(), pk=case_pk)
        body = ConsentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisations = list(Organisation.objects.filter(pk__in=data["organisations"]))
        consent = consents.record_consent(
            case,
            person=case.people.filter(pk=data["person"]).first(),
            purpose=data["purpose"],
            scope=data["scope"],
            organisations=organisations,
            sectors=data["sectors"],
            informed=data["informed"],
            given_on=data["given_on"],
            actor=user,
            request=request,
        )
        response = self._respond(
            request, [consents.consent_queryset().get(pk=consent.pk)], status=201
        )
        response.data = response.data[0]
        return response

    @extend_schema(
        summary="Record the withdrawal of a consent; it takes effect at once",
        request=WithdrawInputSerializer,
        responses={
            200: ConsentSerializer,
            400: error("Already withdrawn."),
            403: error("Not yours to record."),
            404: error("No such consent, or not yours."),
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, case_pk: str, pk: str) -> Response:
        user = self._user()
        consent = get_visible_or_404(user, consents.consent_queryset(), pk=pk, case_id=case_pk)
        body = WithdrawInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consents.withdraw_consent(
            consent, note=body.validated_data["note"], actor=user, request=request
        )
        response = self._respond(request, [consents.consent_queryset().get(pk=consent.pk)])
        response.data = response.data[0]
        return response
