from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "schakel.demo"
    label = "demo"
    verbose_name = "Schakel demo data"
