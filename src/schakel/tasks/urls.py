from __future__ import annotations

from django.urls import path

from schakel.tasks import views

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("new/", views.task_create, name="task_create"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/<slug:action>/", views.task_action, name="task_action"),
]
