"""REST API of the entities context: one entity as the user may see it (with hits for the
rest), search, and the FollowTheMoney export (streamed, or written by the worker to a file
the user downloads). Same policy and audit as the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
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
from schakel.entities import exports
from schakel.entities.ftm import export_lines, plan_audited_export
from schakel.entities.models import FtmExport, Mention
from schakel.entities.presenter import EntityView, present_entity
from schakel.entities.services import get_entity_for_user, search_entities
from schakel.errors import Conflict
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


ExportView = Callable[..., StreamingHttpResponse | FileResponse]
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
    "empty body. The web server ends an answer that takes longer than its worker timeout (30 "
    "s by default, about 100,000 entities): for a larger chain ask the worker to write the "
    "export (POST /api/v1/entities/exports/) and download the file when it is done.",
    responses={
        (200, "application/x-ndjson"): OpenApiResponse(
            str, description="FollowTheMoney entities, one JSON object per line."
        )
    },
)
@api_view(["GET"])
@content_negotiation_class(JsonLinesAccepted)
def entity_export_ftm(request: Request) -> StreamingHttpResponse:
    # Written (and committed) before the body starts, so a download cut off half-way is
    # audited too.
    plan = plan_audited_export(request.user, request)
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


class ExportSerializer(serializers.Serializer[Any]):
    """An export written by the worker, as its requester sees it."""

    id = serializers.UUIDField()
    url = serializers.CharField(help_text="This export's address: ask it how far it is.")
    status = serializers.ChoiceField(choices=FtmExport.Status.choices)
    phase = serializers.CharField(help_text="planning or writing while it runs, else empty.")
    entities_total = serializers.IntegerField(
        help_text="Lines the file will hold (0: not known yet)."
    )
    entities_written = serializers.IntegerField()
    percent = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(help_text="When the file and this record are removed.")
    size = serializers.IntegerField(help_text="Bytes, once done.")
    sha256 = serializers.CharField(help_text="The file's SHA-256 checksum, once done.")
    download = serializers.CharField(
        allow_null=True, help_text="Where to fetch the file, once done; else null."
    )


def export_answer(export: FtmExport) -> dict[str, Any]:
    done = export.status == FtmExport.Status.DONE
    return dict(
        ExportSerializer(
            {
                "id": export.pk,
                "url": reverse("v1:api_entity_export", args=[export.pk]),
                "status": export.status,
                "phase": export.phase,
                "entities_total": export.lines_total,
                "entities_written": export.lines_done,
                "percent": export.percent,
                "created_at": export.created_at,
                "finished_at": export.finished_at,
                "expires_at": export.expires_at,
                "size": export.file_size,
                "sha256": export.file_sha256,
                "download": reverse("v1:api_entity_export_download", args=[export.pk])
                if done
                else None,
            }
        ).data
    )


@extend_schema(
    operation_id="v1_entities_exports_create",
    summary="Ask the worker to write the entities the user may see to a file",
    description="The same FollowTheMoney JSON lines as export.ftm.jsonl, written by the "
    "background worker to a file that only this user may download, for 24 hours. Answers 202 "
    "with the new export (Location: its address), or 200 with the one already running: one "
    "export at a time per user. Ask the export's address how far it is.",
    request=None,
    responses={
        202: ExportSerializer,
        200: OpenApiResponse(ExportSerializer, description="An export of yours is running."),
    },
)
@api_view(["POST"])
def entity_exports(request: Request) -> Response:
    export, new = exports.start_export(request.user)
    answer = export_answer(export)
    return Response(answer, status=202 if new else 200, headers={"Location": answer["url"]})


@extend_schema(
    operation_id="v1_entities_exports_retrieve",
    summary="How far an export is, and where to download it when done",
    responses={200: ExportSerializer, 404: error("No export of yours at this address.")},
)
@api_view(["GET"])
def entity_export(request: Request, export_id: Any) -> Response:
    return Response(export_answer(exports.get_export_for_user(request.user, export_id)))


@extend_schema(
    operation_id="v1_entities_exports_download",
    summary="The file of a finished export: FollowTheMoney JSON lines",
    description="Each download is written to the audit log.",
    responses={
        (200, "application/x-ndjson"): OpenApiResponse(
            str, description="FollowTheMoney entities, one JSON object per line."
        ),
        404: error("No export of yours at this address."),
        409: error("The export is not finished, or it failed."),
    },
)
@api_view(["GET"])
@content_negotiation_class(JsonLinesAccepted)
def entity_export_download(request: Request, export_id: Any) -> FileResponse:
    export = exports.get_export_for_user(request.user, export_id)
    return export_file(request, export)


def export_file(request: Any, export: FtmExport) -> FileResponse:
    """The file of a finished export, its download audited; Conflict while it is not."""
    path = export.stored_path
    if export.status != FtmExport.Status.DONE or path is None or not path.exists():
        raise Conflict(_("This export is not ready to download."))
    audit.record_read(request, "entities.ftmexport", [str(export.pk)], purpose="export")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=export.download_name(),
        content_type="application/x-ndjson; charset=utf-8",
    )
    response["X-Content-SHA256"] = export.file_sha256
    return response
