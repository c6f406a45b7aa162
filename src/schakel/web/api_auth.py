"""Who calls the API and how often: a user's API token (for machines) beside the browser
session, and a rate limit per user.

One token per user (Django REST framework's ``authtoken``): the user makes, replaces and
revokes it on their account page, where it is shown once. A token signs in without the
second factor — it is a credential for a machine, made by a user who had passed the second
factor to reach the account page — so revoking it is the way to stop a leaked one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from schakel.audit import services as audit
from schakel.partners.auth import SchakelBackend
from schakel.partners.models import Organisation, User
from schakel.rows import Select

#: The token with its user and the user's organisation, read afresh on every request (never
#: cached: a revoked token, a deactivated user or organisation is refused at once).
_TOKEN_WITH_USER = Select(
    (Token, User, Organisation),
    "FROM {Token} JOIN {User} ON {User.id} = {Token.user} "
    "LEFT JOIN {Organisation} ON {Organisation.id} = {User.organisation} "
    "WHERE {Token.key} = %s",
)


class UserTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused under the same rules as a browser sign-in:
    inactive users, users of a deactivated organisation and, in production, demo accounts."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        found = _TOKEN_WITH_USER.fetch([key])
        # DRF's own messages, so that its translations apply.
        if not found:
            raise AuthenticationFailed(_("Invalid token."))
        token, user, organisation = found[0]
        assert isinstance(token, Token) and isinstance(user, User)
        assert organisation is None or isinstance(organisation, Organisation)
        # As select_related("user__organisation") would leave them: no query for either later.
        user.organisation = organisation
        token.user = user
        if not SchakelBackend().user_can_authenticate(user):
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, token


class UserRateThrottle(throttling.UserRateThrottle):
    """At most ``SCHAKEL_API_RATE`` requests per user (one token per user, so per token too).

    DRF keeps the count in Django's cache, which is each server process's own memory here:
    a client spread over several processes may reach the rate in each (docs/api.md).
    """

    def get_rate(self) -> str:
        return str(settings.SCHAKEL_API_RATE)


def api_token_of(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def issue_api_token(user: User, *, request: HttpRequest | None = None) -> str:
    """A new token for ``user``, replacing the one they had; returns the key to show once."""
    replaced, _deleted = Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record_change(
        request,
        "api_token_replace" if replaced else "api_token_create",
        "partners.user",
        [user.pk],
        actor=user,
    )
    return str(token.key)


@transaction.atomic
def revoke_api_token(user: User, *, request: HttpRequest | None = None) -> bool:
    """Remove the user's token; False when they had none."""
    deleted, _deleted = Token.objects.filter(user=user).delete()
    if deleted:
        audit.record_change(request, "api_token_revoke", "partners.user", [user.pk], actor=user)
    return bool(deleted)
