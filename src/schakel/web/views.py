"""Views of the site shell: health."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from schakel.jobs.services import worker_status


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
