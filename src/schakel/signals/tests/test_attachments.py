"""Attachments: checked by content, checksummed, stored outside the database, served only
through the policy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from schakel.errors import InvalidFields
from schakel.partners.models import User
from schakel.signals import attachments
from schakel.signals.models import Attachment, Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%synthetic test document\n"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


@pytest.fixture
def signal(world: World) -> Signal:
    made = make_signal(world.users["care_coordinator"], groups=[world.table_a], tlp="GREEN")
    checked = attachments.check_uploads([SimpleUploadedFile("advert.png", PNG)])
    attachments.attach(made, checked, user=world.users["care_coordinator"])
    return made


def test_an_upload_is_stored_once_by_its_checksum(world: World, signal: Signal) -> None:
    attachment = Attachment.objects.get(signal=signal)
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert attachment.content_type == "image/png" and attachment.size == len(PNG)
    assert attachments.path_for(attachment).read_bytes() == PNG
    again = attachments.check_uploads([SimpleUploadedFile("copy.png", PNG)])
    attachments.attach(signal, again, user=world.users["care_coordinator"])
    assert len({a.stored_name for a in Attachment.objects.all()}) == 1


def test_wrong_types_and_oversized_files_are_refused_by_name() -> None:
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image")
    with pytest.raises(InvalidFields) as exc:
        attachments.check_uploads([fake])
    assert "photo.png" in str(exc.value.problems["attachments[0]"][0])
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (attachments.MAX_BYTES + 1))
    with pytest.raises(InvalidFields) as exc:
        attachments.check_uploads([big])
    assert "big.pdf" in str(exc.value.problems["attachments[0]"][0])


def test_it_checks_access(world: World, signal: Signal, signed_in: SignIn) -> None:
    attachment = Attachment.objects.get(signal=signal)
    url = reverse("signal_attachment", args=[signal.reference, attachment.pk])
    owner = signed_in(world.users["care_coordinator"]).get(url)
    assert owner.status_code == 200 and b"".join(owner.streaming_content) == PNG
    assert owner["Cache-Control"] == "private, no-store"
    assert signed_in(world.users["police_analyst"]).get(url).status_code == 200
    # The NGO sees that the signal exists (redacted), never its files; the outsider nothing.
    assert signed_in(world.users["ngo_worker"]).get(url).status_code == 404
    assert signed_in(world.users["outsider"]).get(url).status_code == 404


def test_the_full_form_takes_attachments(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signal_create"),
        {
            "persons-TOTAL_FORMS": "0",
            "persons-INITIAL_FORMS": "0",
            "companies-TOTAL_FORMS": "0",
            "companies-INITIAL_FORMS": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "description": "Advertentie met wisselende locaties.",
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
            "attachments": [SimpleUploadedFile("ad.pdf", PDF, content_type="application/pdf")],
        },
    )
    signal = Signal.objects.get()
    assert response.status_code == 302
    assert signal.attachments.get().content_type == "application/pdf"
    bad = client.post(
        reverse("signal_create"),
        {
            "persons-TOTAL_FORMS": "0",
            "persons-INITIAL_FORMS": "0",
            "companies-TOTAL_FORMS": "0",
            "companies-INITIAL_FORMS": "0",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "description": "Nog een.",
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
            "attachments": [SimpleUploadedFile("x.exe", b"MZ....")],
        },
    )
    assert bad.status_code == 200 and Signal.objects.count() == 1
