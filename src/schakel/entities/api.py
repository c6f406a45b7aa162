"""REST API of the entities context: one entity as the user may see it (with hits for the
rest), search, and the FollowTheMoney export. Same policy and audit as the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import decorators, exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.audit import services as audit
from schakel.entities.ftm import export_lines, plan_export
from schakel.entities.models import Mention
from schakel.entities.presenter import EntityView, present_entity
from schakel.entities.services import get_entity_for_user, search_entities
from schakel.web.api import error


class SourceSerializer(serializers.Serializer[Any]):
    organisation = serializers.CharField(source="organisation.name")
    signal = serializers.CharField(source="signal.reference")
    stated_at = serializers.DateTimeField()


class ValueSerializer(serializers.Serializer[Any]):
    property = serializers.CharField(source="prop")
    property_label = serializers.CharField(source="label")
    value = serializers.CharField()
    sources = SourceSerializer(source="mentions", many=True)


class LinkSerializer(serializers.Serializer[Any]):
    schema = serializers.CharField()
    role = serializers.CharField()
    entity = serializers.IntegerField(source="other.pk")
    name = serializers.CharField(source="other_caption")
    outgoing = serializers.BooleanField()
    properties = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The link's own FollowTheMoney properties: a payment's amount, currency, "
        "date and purpose; a family tie's relationship.",
    )


class ElsewhereSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    place = serializers.CharField()
    contact_organisation = serializers.CharField()
    contact_email = serializers.CharField()


class EntitySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="entity.pk")
    schema = serializers.CharField(source="entity.schema")
    name = serializers.CharField(source="caption")
    values = ValueSerializer(many=True)
    links = LinkSerializer(many=True)
    signals = serializers.SerializerMethodField()
    hits = ElsewhereSerializer(many=True)

    def get_signals(self, view: EntityView) -> list[str]:
        return [signal.reference for signal in view.signals]


@extend_schema(
    operation_id="v1_entities_detail",
    summary="One entity, as far as the user may see it",
    description="Values with their sources; for records the user may not see, only hits "
    "(how many, where, whom to contact).",
    responses={
        200: EntitySerializer,
        404: error("No such entity, or none of its records is yours to see."),
    },
)
@api_view(["GET"])
def entity_detail(request: Request, pk: int) -> Response:
    entity, mentions = get_entity_for_user(request.user, pk)
    view = present_entity(request.user, entity, mentions, request=request)
    audit.record_read(request, "entities.mention", view.shown_mention_ids, purpose="entity")
    return Response(EntitySerializer(view).data)


@extend_schema(
    operation_id="v1_entities_search",
    summary="Search entities the user may see",
    parameters=[OpenApiParameter("q", str, description="Name, address, phone, IBAN or plate")],
    responses=inline_serializer(
        "EntitySearch",
        {
            "results": inline_serializer(
                "EntitySearchResult",
                {
                    "id": serializers.IntegerField(),
                    "schema": serializers.CharField(),
                    "name": serializers.CharField(),
                    "records": serializers.IntegerField(),
                },
                many=True,
            )
        },
    ),
)
@api_view(["GET"])
def entity_search(request: Request) -> Response:
    query = str(request.query_params.get("q", "")).strip()[:200]
    results = search_entities(request.user, query) if query else []
    shown: list[Mention] = [m for _entity, mentions in results for m in mentions]
    audit.record_read(request, "entities.mention", [m.pk for m in shown], purpose="entity_search")
    return Response(
        {
            "results": [
                {
                    "id": entity.pk,
                    "schema": entity.schema,
                    "name": mentions[0].caption,
                    "records": len(mentions),
                }
                for entity, mentions in results
            ]
        }
    )


#: Lines are sent in blocks of about this many characters: one write per line would cost the
#: server a system call per entity.
EXPORT_BLOCK = 64 * 1024


class JsonLinesAccepted(DefaultContentNegotiation):
    """The export's body is JSON lines whatever the client accepts, and its errors JSON as
    everywhere else. The REST framework knows only its renderers (JSON, the browsable API),
    so it refused ``Accept: application/x-ndjson`` (what the documentation promises) with
    406: that client gets the lines, or an error in JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            chosen: tuple[BaseRenderer, str] = super().select_renderer(
                request, renderers, format_suffix
            )
        except exceptions.NotAcceptable:
            first = next(iter(renderers))
            chosen = first, str(first.media_type)
        return chosen


ExportView = Callable[[Request], StreamingHttpResponse]
#: The REST framework's decorator, missing from its type stubs.
content_negotiation_class: Callable[
    [type[DefaultContentNegotiation]], Callable[[ExportView], ExportView]
] = decorators.content_negotiation_class  # type: ignore[attr-defined]


@extend_schema(
    operation_id="v1_entities_export_ftm",
    summary="The entities the user may see, as FollowTheMoney JSON lines",
    description="One FtM entity per line: every entity the user may see, with only the values "
    "of the records they may see in full, then the links among them. The body is streamed as "
    "it is read from the database; the export is written to the audit log (every record whose "
    "values it holds) before its first line is sent. Someone who may see nothing gets an "
    "empty body.",
    responses={
        (200, "application/x-ndjson"): OpenApiResponse(
            str, description="FollowTheMoney entities, one JSON object per line."
        )
    },
)
@api_view(["GET"])
@content_negotiation_class(JsonLinesAccepted)
def entity_export_ftm(request: Request) -> StreamingHttpResponse:
    plan = plan_export(request.user)
    # One entry for the export, listing every mention whose values it hands over; written
    # (and committed) before the body starts, so a download cut off half-way is audited too.
    audit.record_change(
        request,
        "export_ftm",
        "entities.mention",
        plan.mention_ids,
        purpose="export",
        details={"entities": plan.entities},
    )
    return StreamingHttpResponse(
        _in_blocks(export_lines(plan)), content_type="application/x-ndjson; charset=utf-8"
    )


def _in_blocks(lines: Iterable[str]) -> Iterator[str]:
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= EXPORT_BLOCK:
            yield "".join(block)
            block, size = [], 0
    if block:
        yield "".join(block)
