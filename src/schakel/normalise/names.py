# ruff: noqa: RUF001 - Cyrillic letters and look-alike Latin ones are what this module maps.
"""Keys for exact bundling of person and company names.

``name_key("Popescu, Ion")``, ``name_key("ION POPESCU")`` and ``name_key("Ion Popéscu")``
are all ``"ion popescu"``: equal keys mean "write this name the same way", which is what
exact bundling needs. It is not fuzzy matching (that is linkage's job in ``entities``).

How the key is made, and why:

* Every script is transliterated to plain Latin letters by rigour (``ascii_text``: ICU's
  transliterators, as used by FollowTheMoney and OpenSanctions), so a name recorded in
  Cyrillic, Greek or Arabic by one partner and in Latin by another gets the same key, and
  diacritics and letters such as ``ł``, ``ß``, ``ø`` are spelled out (``Łukasz Wiśniewski``
  → ``lukasz wisniewski``, ``Straße`` → ``strasse``, ``Nguyễn`` → ``nguyen``). One exception,
  made before: Bulgarian ``ъ`` is a vowel (``Ъгълов`` is ``Agalov`` in a Bulgarian passport)
  where the transliterator would drop it as a Russian hard sign; linkage's name normaliser
  makes the same choice.
* Case folded; apostrophes removed (``O'Brien`` → ``obrien``); other punctuation separates
  words (``Smit-Jansen`` → ``smit jansen``); whitespace collapsed.
* Words are sorted, so the order of given name and family name does not matter.
* Particles (``van``, ``de``, ``van der``, ``al``) are kept. Dropping them would bundle
  ``Jan de Vries`` with ``Jan Vries``; a wrong bundle merges two people's files, a missed
  one is found by linkage later, so exact keys err on the side of keeping words.

An empty key (a name without letters or digits) means "no key": never bundle on it. A key
longer than ``NAME_KEY_LENGTH`` (the length of the columns that store it) is shortened to
its beginning and a digest of the whole (``keys.bounded_key``), so that it is stored and
still compared exactly.
"""

from __future__ import annotations

import re
import unicodedata

from rigour.text.translit import ascii_text

from schakel.normalise.keys import NAME_KEY_LENGTH, bounded_key, is_bounded_name_key

# Bulgarian spells ъ as a vowel; the transliterator would drop it as a Russian hard sign.
_BEFORE_TRANSLITERATION = str.maketrans({"ъ": "а", "Ъ": "А"})
_APOSTROPHES = re.compile("['`´ʹʼ‘’]")


def name_tokens(raw: str) -> list[str]:
    """The words of a name as they appear, normalised but not sorted (for addresses)."""
    text = unicodedata.normalize("NFC", raw).translate(_BEFORE_TRANSLITERATION)
    text = _APOSTROPHES.sub("", ascii_text(_APOSTROPHES.sub("", text))).casefold()
    return "".join(c if c.isalnum() else " " for c in text).split()


def name_key(raw: str) -> str:
    """The bundling key of a person's name: words normalised and sorted, at most
    ``NAME_KEY_LENGTH`` characters."""
    if is_bounded_name_key(raw):
        return raw  # already a key: name_key(name_key(x)) == name_key(x) for long names too
    return bounded_key(" ".join(sorted(name_tokens(raw))), NAME_KEY_LENGTH)


# Legal forms of the countries we see most, as people write them. They are removed only at
# the end of a name ("Jansen B.V." but not "BV Jansen"), where they describe the company
# rather than name it. "Stichting", "Holding" and the like stay: they are part of names.
_LEGAL_FORMS = (
    "B.V.", "BV", "N.V.", "NV", "V.O.F.", "VOF", "C.V.", "CV", "B.V.B.A.", "BVBA",
    "Ltd", "Ltd.", "Limited", "LLC", "Inc.", "GmbH", "AG",
    "S.R.L.", "SRL", "S.A.", "SA", "Sp. z o.o.", "Sp.z.o.o.", "spzoo", "Sp. k.",
    "s.r.o.", "Kft.", "EOOD", "OOD",
)  # fmt: skip
_LEGAL_FORM_TOKENS = frozenset(tuple(name_tokens(form)) for form in _LEGAL_FORMS)
_LONGEST_LEGAL_FORM = max(len(form) for form in _LEGAL_FORM_TOKENS)


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    stripped = True
    while stripped:
        stripped = False
        for length in range(min(_LONGEST_LEGAL_FORM, len(tokens) - 1), 0, -1):
            if tuple(tokens[-length:]) in _LEGAL_FORM_TOKENS:
                tokens = tokens[:-length]
                stripped = True
                break
    return tokens


def company_key(raw: str) -> str:
    """The bundling key of a company name: like ``name_key``, without a trailing legal form.

    ``Jansen Transport B.V.``, ``jansen transport bv`` and ``Jansen Transport`` share a key;
    a name that is nothing but a legal form keeps it, rather than becoming empty. Unlike
    ``name_key`` this is not idempotent (sorting can put "n" and "v" last, which then read
    as N.V.): make keys from names, never from keys.
    """
    return bounded_key(" ".join(sorted(_strip_legal_forms(name_tokens(raw)))), NAME_KEY_LENGTH)
