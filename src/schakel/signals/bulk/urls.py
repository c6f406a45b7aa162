"""Import pages, included by ``schakel.signals.urls`` under ``signals/import/``."""

from __future__ import annotations

from django.urls import path

from schakel.signals.bulk import views

urlpatterns = [
    path("", views.import_upload, name="signal_import"),
    path("template.<str:kind>", views.import_template, name="signal_import_template"),
    path("<uuid:job_id>/", views.import_progress, name="signal_import_progress"),
    path("<uuid:job_id>/report/", views.import_report, name="signal_import_report"),
    path(
        "<uuid:job_id>/problems.<str:kind>",
        views.import_report_download,
        name="signal_import_report_download",
    ),
    path("<uuid:job_id>/result/", views.import_result, name="signal_import_result"),
]
