"""Views of the site shell: health, and the answers for an unknown address or a server error
(JSON in the API's error shape under /api/, Django's pages elsewhere)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.exceptions import APIException

from schakel.errors import NotFound
from schakel.jobs.services import worker_status
from schakel.web.api import is_api_path


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database, migrations and worker heartbeat.

    503 when the database is unreachable or migrations are pending (the web process cannot
    serve); 200 with status "degraded" when only the worker is down (pages work, background
    jobs wait). Reveals no data: only states and the time of the last heartbeat.
    """
    checks: dict[str, dict[str, object]] = {}
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception:  # noqa: BLE001 - any failure means "database down" to a probe
        checks["database"] = {"ok": False}
        return JsonResponse({"status": "down", "checks": checks}, status=503)

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    checks["migrations"] = {"ok": not pending, "pending": len(pending)}

    worker = worker_status()
    checks["worker"] = {
        "ok": worker.ok,
        "workers": worker.workers,
        "last_heartbeat": worker.last_seen.isoformat() if worker.last_seen else None,
    }
    serving = bool(checks["migrations"]["ok"])
    status = "ok" if serving and worker.ok else ("degraded" if serving else "down")
    return JsonResponse({"status": status, "checks": checks}, status=200 if serving else 503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: an address no view answers (or a non-API view's Http404).

    Under /api/ a program gets the API's error shape, never an HTML page; the exception's
    text (the URL patterns tried) is not shown. An API address without its trailing slash
    is not redirected (a client would follow a 301 on POST as a GET, see the list with 200
    and believe its signal was handed in, see ``ApiAwareCommonMiddleware``): the answer
    names the address to use instead.
    """
    if not is_api_path(request):
        return defaults.page_not_found(request, exception)
    problem = NotFound()
    path = request.path_info
    if not path.endswith("/") and is_valid_path(f"{path}/", getattr(request, "urlconf", None)):
        problem = NotFound(
            _("Not found. The address ends with a slash: %(address)s")
            % {"address": request.get_full_path(force_append_slash=True)}
        )
    return JsonResponse({"errors": problem.as_list()}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an unexpected error. JSON under /api/ (no details: they are in the log),
    Django's page elsewhere."""
    if not is_api_path(request):
        return defaults.server_error(request)
    problem = {"code": "server_error", "message": str(APIException.default_detail)}
    return JsonResponse({"errors": [problem]}, status=500)
