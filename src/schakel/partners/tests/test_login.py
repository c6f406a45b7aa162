"""Sign-in, second factor, lock-out, password reset and loss of access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from schakel.partners.models import User
from schakel.testing.personas import PASSWORD, World, login

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post(reverse("login"), {"username": username, "password": password})


def _later() -> time_machine.travel:
    """A minute on: django-otp slows down guessing after a wrong code (throttling)."""
    return time_machine.travel(timezone.now() + timedelta(minutes=1), tick=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_wrong_password_and_an_unknown_user_get_the_same_translated_message(
    world: World, client: Client
) -> None:
    wrong = _sign_in(client, "carla", "not the password")
    unknown = _sign_in(client, "nobody-here", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "niet juist" in response.content.decode()  # Dutch is the default language
    client.cookies["django_language"] = "en"
    english = _sign_in(client, "nobody-here", "x")
    assert "The user name or password is not correct." in english.content.decode()


def test_after_the_password_a_professional_must_enrol_a_second_factor(
    world: World, client: Client
) -> None:
    response = _sign_in(client, "carla")
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("two_factor_setup"))
    api = client.get("/api/me/")
    assert api.status_code == 401


def test_enrolment_confirms_the_app_gives_recovery_codes_and_opens_the_site(
    world: World, client: Client
) -> None:
    _sign_in(client, "carla")
    setup = client.get(reverse("two_factor_setup"))
    assert setup.status_code == 200 and b"<svg" in setup.content
    device = TOTPDevice.objects.get(user=world.users["care_coordinator"], confirmed=False)
    bad = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert "niet geldig" in bad.content.decode()
    with _later():
        done = client.post(reverse("two_factor_setup"), {"token": _code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<code>(\d{5}-\d{5})</code>", done.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("home")).status_code == 200


def test_a_second_login_asks_for_the_code_and_accepts_a_recovery_code_once(
    world: World, client: Client
) -> None:
    user = world.users["police_analyst"]
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    from schakel.partners.views.auth import _new_recovery_codes

    codes = _new_recovery_codes(user)
    _sign_in(client, "piet")
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"token": "123456"}).status_code == 200
    with _later():
        response = client.post(reverse("two_factor_verify"), {"token": codes[0]})
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200
        assert StaticToken.objects.filter(device__user=user).count() == 9
        # The used code does not work a second time.
        client.post(reverse("logout"))
        _sign_in(client, "piet")
        again = client.post(reverse("two_factor_verify"), {"token": codes[0]})
        assert again.status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert (
            client.post(reverse("two_factor_verify"), {"token": _code(device)}).status_code == 302
        )


def test_someone_with_only_the_password_cannot_replace_an_enrolled_factor(
    world: World, client: Client
) -> None:
    TOTPDevice.objects.create(user=world.users["police_analyst"], name="app", confirmed=True)
    _sign_in(client, "piet")
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_a_front_desk_worker_needs_no_second_factor(world: World, client: Client) -> None:
    _sign_in(client, "fenna")
    assert client.get(reverse("home")).status_code == 200


@override_settings(SCHAKEL_REQUIRE_2FA=False)
def test_the_demo_switch_turns_the_second_factor_off_and_the_login_page_says_so(
    world: World, client: Client
) -> None:
    page = client.get(reverse("login"))
    assert "tweestapsverificatie staat uit" in page.content.decode()
    _sign_in(client, "carla")
    assert client.get(reverse("home")).status_code == 200


def test_repeated_failures_lock_the_account_out(world: World, client: Client) -> None:
    for _ in range(5):
        _sign_in(client, "carla", "wrong")
    locked = _sign_in(client, "carla")  # even the right password is refused now
    assert locked.status_code == 429
    assert client.get(reverse("home")).status_code == 302


def test_a_disabled_user_loses_access_at_the_next_request(world: World, client: Client) -> None:
    user = world.users["care_coordinator"]
    login(client, user)
    assert client.get(reverse("home")).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_deleted_user_loses_access_at_the_next_request(world: World, client: Client) -> None:
    user = world.users["ngo_worker"]
    login(client, user)
    TOTPDevice.objects.filter(user=user).delete()
    user.role_set.all().delete()
    User.objects.filter(pk=user.pk).delete()
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(world: World, client: Client) -> None:
    response = client.post(reverse("password_reset"), {"email": "carla@example.test"})
    assert response.status_code == 302
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert unknown["Location"] == response["Location"]  # no hint whether the address exists
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mail.outbox[0].body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new = "a brand new passphrase 2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    client.post(reverse("logout"))
    assert _sign_in(client, "carla", new).status_code == 302


def test_every_form_post_needs_a_csrf_token(world: World) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "carla", "password": PASSWORD})
    assert response.status_code == 403
