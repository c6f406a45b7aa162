# ruff: noqa: RUF001, RUF002 - Cyrillic letters and look-alike Latin ones are what this module maps.
"""Keys for exact bundling of person and company names.

``name_key("Popescu, Ion")``, ``name_key("ION POPESCU")`` and ``name_key("Ion Popéscu")``
are all ``"ion popescu"``: equal keys mean "write this name the same way", which is what
exact bundling needs. It is not fuzzy matching (that is linkage's job in ``entities``).

How the key is made, and why:

* Cyrillic is transliterated with a small fixed table (below), because victims and
  suspects from Bulgaria and Ukraine are recorded in both scripts. It is one table for
  all languages (Russian-based, with Ukrainian, Bulgarian, Serbian and Macedonian
  letters added), so Ukrainian ``г`` becomes ``g``, not ``h``, and ``щ`` is ``shch``, not
  Bulgarian ``sht``; ``ъ`` is ``a`` as in Bulgarian, where it is a vowel. Proper
  language-aware transliteration (and other scripts, such as Greek and Arabic, which are
  kept as they are here) comes with normality/rigour in the entities issue.
* Letters that Unicode does not decompose are spelled out: ``ł`` → ``l``, ``ß`` → ``ss``,
  ``ø`` → ``o``, ``æ`` → ``ae``, ``œ`` → ``oe``, ``đ``/``ð`` → ``d``, ``þ`` → ``th``, ``ı`` → ``i``.
* Then NFKD, diacritics dropped (``ă`` → ``a``, ``ș`` → ``s``), case folded.
* Apostrophes are removed (``O'Brien`` → ``obrien``), other punctuation separates words
  (``Smit-Jansen`` → ``smit jansen``), whitespace is collapsed.
* Words are sorted, so the order of given name and family name does not matter.
* Particles (``van``, ``de``, ``van der``, ``al``) are kept. Dropping them would bundle
  ``Jan de Vries`` with ``Jan Vries``; a wrong bundle merges two people's files, a missed
  one is found by linkage later, so exact keys err on the side of keeping words.

An empty key (a name without letters or digits) means "no key": never bundle on it.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "ђ": "dj", "ѓ": "gj",
    "е": "e", "ё": "e", "є": "ye", "ж": "zh", "з": "z", "ѕ": "dz", "и": "i", "і": "i",
    "ї": "yi", "й": "y", "ј": "j", "к": "k", "ќ": "kj", "л": "l", "љ": "lj", "м": "m",
    "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c",
    "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "џ": "dz", "ш": "sh",
    "щ": "shch", "ъ": "a", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

_LATIN_UNDECOMPOSABLE = {
    "ł": "l", "ŀ": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d",
    "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t",
}  # fmt: skip


def _translation_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for letter, latin in {**_CYRILLIC, **_LATIN_UNDECOMPOSABLE}.items():
        table[ord(letter)] = latin
        upper = letter.upper()
        if len(upper) == 1:
            table[ord(upper)] = latin
    table[ord("ẞ")] = "ss"  # capital sharp s; "ß".upper() is "SS", so the loop misses it
    return table


_TRANSLITERATION = _translation_table()
_APOSTROPHES = re.compile("['`´ʹʼ‘’]")


def _without_marks(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn"
    )


def name_tokens(raw: str) -> list[str]:
    """The words of a name as they appear, normalised but not sorted (for addresses)."""
    # Composed first, so that "й" and "ї" are single letters the table knows; once more at
    # the end, for Cyrillic letters that only become table letters without their marks.
    text = unicodedata.normalize("NFC", raw).translate(_TRANSLITERATION)
    text = _APOSTROPHES.sub("", text)
    text = _without_marks(_without_marks(text).casefold()).translate(_TRANSLITERATION)
    return "".join(c if c.isalnum() else " " for c in text).split()


def name_key(raw: str) -> str:
    """The bundling key of a person's name: words normalised and sorted."""
    return " ".join(sorted(name_tokens(raw)))


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
    return " ".join(sorted(_strip_legal_forms(name_tokens(raw))))
