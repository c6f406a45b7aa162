from __future__ import annotations

from django.urls import include, path

from schakel.signals import views

urlpatterns = [
    path("", views.signal_list, name="signal_list"),
    path("new/", views.signal_create, name="signal_create"),
    path("report/", views.signal_report, name="signal_report"),
    path("guidance/", views.guidance, name="signal_guidance"),
    path("sharing-preview/", views.sharing_preview, name="signal_sharing_preview"),
    path("sharing-defaults/", views.sharing_defaults, name="signal_sharing_defaults"),
    # Before "<str:reference>/": "import" is no reference.
    path("import/", include("schakel.signals.bulk.urls")),
    path("<str:reference>/", views.signal_detail, name="signal_detail"),
    path("<str:reference>/received/", views.signal_receipt, name="signal_receipt"),
    path("<str:reference>/band/", views.signal_overrule, name="signal_overrule"),
    path("<str:reference>/retriage/", views.signal_retriage, name="signal_retriage"),
    path(
        "<str:reference>/attachments/<int:pk>/", views.attachment_download, name="signal_attachment"
    ),
]
