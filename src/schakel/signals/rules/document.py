"""Reading a reviewed rules file: strict YAML, JSON schema validation, places in messages,
and the two-language texts every file uses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from schakel.signals.rules.errors import RulesFileError

HERE = Path(__file__).resolve().parent

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
DEFAULT_LANGUAGE: Language = "nl"


def resolve_language(language: str | None = None) -> Language:
    """``nl`` or ``en``: the one asked for, else Django's active language, else Dutch.

    Regional variants (``en-gb``) count as their language; anything else falls back to Dutch,
    the language of the chain.
    """
    if language is None:
        try:
            language = translation.get_language()
        except ImproperlyConfigured:  # plain Python without Django settings (scripts, docs)
            language = None
    if language:
        base = language.split("-")[0].split("_")[0].lower()
        if base == "en":
            return "en"
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Text:
    """A text in Dutch and English."""

    nl: str
    en: str

    def get(self, language: str | None = None) -> str:
        return self.en if resolve_language(language) == "en" else self.nl

    @classmethod
    def parse(cls, value: dict[str, str]) -> Text:
        return cls(nl=value["nl"].strip(), en=value["en"].strip())

    @classmethod
    def optional(cls, value: dict[str, str] | None) -> Text | None:
        return None if value is None else cls.parse(value)

    def as_dict(self) -> dict[str, str]:
        return {"nl": self.nl, "en": self.en}


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping: in a reviewed file the second
    silently winning would hide a mistake from the reviewer."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(path: Path) -> Any:
    """The document in ``path``; a ``RulesFileError`` naming the file and line if it is not
    YAML or a key appears twice."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesFileError(f"{path.name}: cannot be read: {exc.strerror}") from None
    return parse_yaml(text, source=path.name)


def parse_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{source}: not valid YAML: {exc}") from None


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((HERE / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def place(document: Any, path: Sequence[str | int]) -> str:
    """A path into the document as a reviewer finds it: ``indicators/3 (ilo.deception)/label``.

    List items that carry an ``id`` or ``code`` are named by it, so the message can be found
    with a text search in the file.
    """
    parts: list[str] = []
    node = document
    for step in path:
        part = str(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(step, int) and isinstance(node, dict):
            name = node.get("id", node.get("code"))
            if isinstance(name, str):
                part = f"{step} ({name})"
        parts.append(part)
    return "/".join(parts) or "(top)"


def validate(document: Any, schema_name: str, *, source: str) -> None:
    """Validate against the JSON schema beside this module; the error names the place."""
    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise RulesFileError(
            f"{source}: at {place(document, list(error.absolute_path))}: {error.message}"
        )


def changelog_is_current(document: dict[str, Any], *, source: str) -> None:
    """The newest changelog entry describes the version in the file: a version bump without a
    changelog entry is refused."""
    version = str(document["version"])
    versions = [str(entry["version"]) for entry in document["changelog"]]
    if version not in versions:
        raise RulesFileError(
            f"{source}: at changelog: no entry for version {version}; "
            "add one saying what changed, when and by whom"
        )
