from __future__ import annotations

from django.urls import path

from schakel.entities import views

urlpatterns = [
    path("", views.entity_search, name="entity_search"),
    path("<int:pk>/", views.entity_detail, name="entity_detail"),
]
