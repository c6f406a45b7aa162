"""E-mail addresses as trimmed lower case (``jan.jansen@example.nl``).

The domain is case-insensitive by definition. The local part (before the ``@``) may be
case-sensitive by RFC 5321, but no provider we meet treats it that way and people type
``Jan.Jansen@`` and ``jan.jansen@`` for the same mailbox; for bundling, missing that they
are one address costs more than the theoretical mailbox that differs only in case, so
we lower it too.

We deliberately do *not* apply provider tricks (Gmail ignores dots and ``+tags``): they
hold for some domains only, and merging two people's mailboxes elsewhere would be a
false bundle. Internationalised domains are kept as typed (NFC, lower case), not turned
into punycode, so the stored value stays readable.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from schakel.normalise.errors import NormalisationError

# An address pasted from a mail client may come as "mailto:..." or "<...>".
_WRAPPING = re.compile(r"^(?:mailto:)?<?(?P<address>.*?)>?$", re.IGNORECASE)

# No allowlist: "user@localhost" is not an address anyone outside a server can write to.
_validate_email = EmailValidator(allowlist=[])


def normalise_email(raw: str) -> str:
    """The address trimmed and lower-cased, or ``NormalisationError`` if it is not one."""
    text = raw.strip()
    match = _WRAPPING.match(text)
    address = unicodedata.normalize(
        "NFC", (match.group("address") if match else text).strip().lower()
    )
    if not address:
        raise NormalisationError("email", _("Enter an e-mail address."))
    if address.count("@") != 1:
        raise NormalisationError(
            "email", _("This is not a valid e-mail address: it needs exactly one @.")
        )
    try:
        _validate_email(address)
    except ValidationError as exc:
        raise NormalisationError("email", _("This is not a valid e-mail address.")) from exc
    return address


def email_search_key(raw: str) -> str | None:
    """The normalised address for a search box, or ``None`` (search as text instead)."""
    try:
        return normalise_email(raw)
    except NormalisationError:
        return None
