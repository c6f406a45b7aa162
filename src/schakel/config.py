"""Settings from ``SCHAKEL_*`` environment variables, validated at start-up.

Every setting Schakel reads is declared once in :data:`SETTINGS`: its name, type,
default and a one-line description. ``docs/configuration.md`` documents each
one (a test fails when it does not), and :func:`load` turns the environment
into a validated :class:`Config` or raises :class:`ConfigError` naming the
variable and the problem.

Secrets may be given as ``SCHAKEL_X_FILE=/path`` instead of ``SCHAKEL_X``; the
file's content (without its trailing newline) is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "SCHAKEL_"

#: Values that must never protect a production installation.
DEVELOPMENT_SECRET = "schakel-development-secret-not-for-production"  # noqa: S105
DEVELOPMENT_AUDIT_KEY = "schakel-development-audit-key-not-for-production"


class ConfigError(Exception):
    """A setting is missing, malformed or not allowed in this mode."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false (also accepted: 1/0, yes/no, on/off)")


def _parse_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None


def _positive_int(raw: str) -> int:
    value = _parse_int(raw)
    if value <= 0:
        raise ValueError(f"expected a number greater than 0, got {value}")
    return value


def _parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parse_str(raw: str) -> str:
    return raw.strip()


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}; got {raw!r}")
        return value

    return parse


#: The periods Django REST framework's throttles understand (it reads the first letter).
_RATE_PERIODS = frozenset({"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"})


def _rate(raw: str) -> str:
    value = raw.strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) <= 0 or period not in _RATE_PERIODS:
        raise ValueError(
            f"expected requests per period such as 600/min (periods: s, min, hour, day); "
            f"got {raw!r}"
        )
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    scheme = value.split(":", 1)[0]
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ValueError(
            f"unsupported database {scheme!r}; use postgresql://user@host:port/name "
            "or leave empty for the embedded SQLite database"
        )
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: str
    description: str
    secret: bool = False

    @property
    def variable(self) -> str:
        return PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MODE",
        _choice("development", "production"),
        "development",
        "development (default: debug-friendly, demo allowed) or production (strict checks).",
    ),
    Setting(
        "SECRET_KEY", _parse_str, "", "Django's signing key. Required in production.", secret=True
    ),
    Setting(
        "AUDIT_KEY",
        _parse_str,
        "",
        "Key of the audit log's HMAC chain. Required in production; keep it apart from the "
        "database backups.",
        secret=True,
    ),
    Setting(
        "DATABASE_URL",
        _database_url,
        "",
        "Empty for the embedded SQLite database under SCHAKEL_DATA_DIR; "
        "postgresql://user:password@host:5432/name for PostgreSQL.",
        secret=True,
    ),
    Setting(
        "DATABASE_PREPARED",
        _parse_bool,
        "true",
        "On PostgreSQL, prepare the statements of the busiest paths (intake, API "
        "authentication, the audit chain) once per connection instead of having the server "
        "parse and plan them for every request. Set false behind a connection pooler in "
        "transaction mode (PgBouncer's pool_mode = transaction), where a transaction may run on "
        "a server connection that never prepared them.",
    ),
    Setting(
        "DATA_DIR",
        _parse_str,
        "var",
        "Directory for the SQLite database, uploaded files and audit checkpoints.",
    ),
    Setting(
        "ALLOWED_HOSTS",
        _parse_list,
        "localhost,127.0.0.1",
        "Comma-separated host names this installation answers to.",
    ),
    Setting(
        "CSRF_TRUSTED_ORIGINS",
        _parse_list,
        "",
        "Comma-separated origins (https://schakel.example.nl) trusted for form posts.",
    ),
    Setting("DEBUG", _parse_bool, "false", "Show Django's debug pages. Refused in production."),
    Setting(
        "REQUIRE_2FA",
        _parse_bool,
        "true",
        "Require two-factor authentication for every role except front-desk worker. "
        "Only the demo may switch it off; production refuses false.",
    ),
    Setting(
        "BEHIND_PROXY",
        _parse_bool,
        "false",
        "Trust X-Forwarded-Proto from a reverse proxy that terminates TLS.",
    ),
    Setting(
        "HTTPS",
        _parse_bool,
        "true",
        "In production: redirect to HTTPS, secure cookies and HSTS. Set false only for a "
        "closed test network.",
    ),
    Setting("LANGUAGE", _choice("nl", "en"), "nl", "Default interface language."),
    Setting("TIME_ZONE", _parse_str, "Europe/Amsterdam", "Time zone for dates shown to users."),
    Setting(
        "SESSION_MINUTES",
        _positive_int,
        "480",
        "Minutes a login stays valid (a working day by default).",
    ),
    Setting(
        "LOGIN_FAILURE_LIMIT",
        _positive_int,
        "5",
        "Failed logins for one account from one address before it is locked.",
    ),
    Setting("LOCKOUT_MINUTES", _positive_int, "30", "How long a lock-out lasts."),
    Setting(
        "WORKER_STALE_SECONDS",
        _positive_int,
        "120",
        "/health reports the worker as down when its last heartbeat is older than this.",
    ),
    Setting(
        "EMAIL_BACKEND",
        _choice("smtp", "console", "file", "memory"),
        "console",
        "How e-mail leaves: smtp in production; console prints it; file writes it to "
        "SCHAKEL_DATA_DIR/mail.",
    ),
    Setting("EMAIL_HOST", _parse_str, "localhost", "SMTP server."),
    Setting("EMAIL_PORT", _positive_int, "587", "SMTP port."),
    Setting("EMAIL_USER", _parse_str, "", "SMTP user name."),
    Setting("EMAIL_PASSWORD", _parse_str, "", "SMTP password.", secret=True),
    Setting("EMAIL_TLS", _parse_bool, "true", "Use STARTTLS for SMTP."),
    Setting(
        "EMAIL_FROM",
        _parse_str,
        "Schakel <noreply@localhost>",
        "Sender of password-reset mails and alerts.",
    ),
    Setting(
        "API_RATE",
        _rate,
        "600/min",
        "Requests one user (API token or browser session) may make to the REST API per period; "
        "beyond it the API answers 429 with Retry-After. Counted per server process.",
    ),
    Setting(
        "LINKAGE_MEMORY_MB",
        _positive_int,
        "2048",
        "Memory in MB that the linkage engine's DuckDB store may use in a batch run before it "
        "spills to SCHAKEL_DATA_DIR/linkage; the run's process needs about 2.5 GB beside it for "
        "a million person mentions.",
    ),
    Setting(
        "LOG_LEVEL",
        _choice("debug", "info", "warning", "error"),
        "info",
        "Least severe log level written.",
    ),
    Setting(
        "LOG_FORMAT",
        _choice("json", "text"),
        "json",
        "json: one structured event per line; text: for reading in a terminal.",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def production(self) -> bool:
        return bool(self.values["MODE"] == "production")


def _raw_value(setting: Setting, environ: Mapping[str, str]) -> str:
    variable = setting.variable
    file_variable = variable + "_FILE"
    if setting.secret and environ.get(file_variable):
        if environ.get(variable):
            raise ConfigError(variable, f"set either {variable} or {file_variable}, not both")
        path = Path(environ[file_variable])
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(file_variable, f"cannot read {path}: {exc.strerror}") from None
    return environ.get(variable, setting.default)


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read, parse and cross-check every setting; raise ConfigError on the first problem."""
    env = os.environ if environ is None else environ
    known = {s.variable for s in SETTINGS} | {s.variable + "_FILE" for s in SETTINGS if s.secret}
    for variable in env:
        if (
            variable.startswith(PREFIX)
            and variable not in known
            and not _is_test_variable(variable)
        ):
            raise ConfigError(variable, "unknown setting (see docs/configuration.md)")

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = _raw_value(setting, env)
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(setting.variable, str(exc)) from None

    _check_mode(values)
    return Config(values)


def _is_test_variable(variable: str) -> bool:
    # Read by the test suite and the Makefile only, never by the running application.
    return variable in {"SCHAKEL_TEST_DATABASE_URL", "SCHAKEL_TEST_BROWSER"}


def _check_mode(values: dict[str, Any]) -> None:
    production = values["MODE"] == "production"
    if not production:
        values["SECRET_KEY"] = values["SECRET_KEY"] or DEVELOPMENT_SECRET
        values["AUDIT_KEY"] = values["AUDIT_KEY"] or DEVELOPMENT_AUDIT_KEY
        return
    for name, default in (("SECRET_KEY", DEVELOPMENT_SECRET), ("AUDIT_KEY", DEVELOPMENT_AUDIT_KEY)):
        value = values[name]
        variable = PREFIX + name
        if not value or value == default:
            raise ConfigError(variable, "production needs a secret of its own (set it or *_FILE)")
        if len(value) < 50 or len(set(value)) < 5:
            raise ConfigError(
                variable, "too weak for production: use at least 50 random characters"
            )
    if values["SECRET_KEY"] == values["AUDIT_KEY"]:
        raise ConfigError("SCHAKEL_AUDIT_KEY", "must differ from SCHAKEL_SECRET_KEY")
    if values["DEBUG"]:
        raise ConfigError("SCHAKEL_DEBUG", "debug pages are refused in production")
    if not values["REQUIRE_2FA"]:
        raise ConfigError(
            "SCHAKEL_REQUIRE_2FA", "two-factor authentication cannot be switched off in production"
        )
    if values["EMAIL_BACKEND"] in {"console", "memory"}:
        raise ConfigError(
            "SCHAKEL_EMAIL_BACKEND", "production needs smtp (or file) so password resets arrive"
        )
