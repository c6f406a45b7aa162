from __future__ import annotations

from django.urls import path

from schakel.entities import api

urlpatterns = [
    path("entities/", api.entity_search, name="api_entity_search"),
    path("entities/export.ftm.jsonl", api.entity_export_ftm, name="api_entity_export_ftm"),
    path("entities/<int:pk>/", api.entity_detail, name="api_entity_detail"),
]
