from __future__ import annotations

import schakel.normalise


def test_it_names_every_public_function_in_its_docstring() -> None:
    doc = schakel.normalise.__doc__ or ""

    for name in schakel.normalise.__all__:
        assert name in doc, name
        assert hasattr(schakel.normalise, name), name
