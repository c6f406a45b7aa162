from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "schakel.web"
    label = "web"
    verbose_name = "Schakel web shell"
