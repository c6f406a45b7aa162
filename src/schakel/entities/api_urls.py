from __future__ import annotations

from django.urls import path

from schakel.entities import api

urlpatterns = [
    path("entities/", api.entity_search, name="api_entity_search"),
    path("entities/export.ftm.jsonl", api.entity_export_ftm, name="api_entity_export_ftm"),
    path("entities/exports/", api.entity_exports, name="api_entity_exports"),
    path("entities/exports/<uuid:export_id>/", api.entity_export, name="api_entity_export"),
    path(
        "entities/exports/<uuid:export_id>/download/",
        api.entity_export_download,
        name="api_entity_export_download",
    ),
    path("entities/<int:pk>/", api.entity_detail, name="api_entity_detail"),
]
