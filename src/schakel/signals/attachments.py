"""Attachments of signals: screenshots of advertisements, photos, PDFs.

Size-limited and type-checked by their content (not their name), checksummed (SHA-256) and
stored outside the database under a name derived from the checksum. They are served only
by ``views.attachment_download`` after the access policy allowed the signal's general details.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from schakel.audit import services as audit
from schakel.errors import InvalidFields
from schakel.signals.models import Attachment, Signal

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10

#: Accepted types by their first bytes: what the file is, not what its name claims.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
)


def _kind(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, suffix in SIGNATURES:
        if head.startswith(signature):
            return content_type, suffix
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def storage_root() -> Path:
    return Path(settings.DATA_DIR) / "files" / "attachments"


def path_for(attachment: Attachment) -> Path:
    return storage_root() / attachment.stored_name[:2] / attachment.stored_name


def check_uploads(files: list[Any]) -> list[tuple[Any, str, str]]:
    """Check every file before anything is written; raise InvalidFields naming each."""
    problems: dict[str, list[Any]] = {}
    checked: list[tuple[Any, str, str]] = []
    if len(files) > MAX_FILES:
        problems["attachments"] = [_("Attach at most %(n)d files.") % {"n": MAX_FILES}]
    for index, upload in enumerate(files):
        path = f"attachments[{index}]"
        if upload.size > MAX_BYTES:
            problems.setdefault(path, []).append(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": upload.name, "mb": MAX_BYTES // (1024 * 1024)}
            )
            continue
        upload.seek(0)
        kind = _kind(upload.read(16))
        upload.seek(0)
        if kind is None:
            problems.setdefault(path, []).append(
                _("“%(name)s” is not an image (PNG, JPEG, GIF, WebP) or a PDF.")
                % {"name": upload.name}
            )
            continue
        checked.append((upload, *kind))
    if problems:
        raise InvalidFields(problems)
    return checked


def _store(upload: IO[bytes], suffix: str) -> tuple[str, str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    sha = digest.hexdigest()
    name = sha + suffix
    target = storage_root() / name[:2] / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        upload.seek(0)
        with partial.open("wb") as out:
            for chunk in iter(lambda: upload.read(1024 * 1024), b""):
                out.write(chunk)
        # Rename is atomic: a reader never sees half a file.
        partial.replace(target)
    return sha, name, size


@transaction.atomic
def attach(
    signal: Signal, checked: list[tuple[Any, str, str]], *, user: Any, request: Any = None
) -> list[Attachment]:
    """Store checked uploads (same content is stored once) and link them to the signal."""
    created = []
    for upload, content_type, suffix in checked:
        sha, stored_name, size = _store(upload, suffix)
        created.append(
            Attachment.objects.create(
                signal=signal,
                original_name=Path(upload.name).name[:255],
                content_type=content_type,
                size=size,
                sha256=sha,
                stored_name=stored_name,
                uploaded_by=user,
            )
        )
    if created:
        audit.record_change(
            request,
            "attach",
            "signals.signal",
            [signal.pk],
            actor=user,
            details={"attachments": [a.pk for a in created]},
        )
    return created
