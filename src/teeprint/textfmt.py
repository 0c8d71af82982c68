"""Filling ``{name:spec}`` templates from user files safely.

Designs, motif notes and shop patterns are written by users; Python's ``str.format`` would let
``{slug.__class__}`` reach into objects and ``{x:>999999999}`` allocate gigabytes.  Here a field
is a bare name from the values given, with no conversion, no nested field, and a width or
precision of at most :data:`MAX_WIDTH`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Mapping
from typing import Any

#: Largest width or precision a template may ask for.
MAX_WIDTH = 64
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBERS = re.compile(r"\d+")


def check_template(template: str, names: Collection[str] | None = None) -> list[str]:
    """The field names of a template; ``ValueError`` (a readable reason) if a field is not a
    bare name (among ``names``, when given), converts, nests or asks for a huge width."""
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        msg = f"{template!r} is not a valid template ({exc})"
        raise ValueError(msg) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _NAME.match(name):
            msg = (f"{template!r}: field {{{name}}} must be a plain name (no attribute access, "
                   "index or position)")
            raise ValueError(msg)
        if conversion:
            msg = f"{template!r}: field {{{name}!{conversion}}} may not convert; drop '!{conversion}'"
            raise ValueError(msg)
        if spec and ("{" in spec or "}" in spec):
            msg = f"{template!r}: field {{{name}}} may not nest fields in its format"
            raise ValueError(msg)
        if spec and any(int(n) > MAX_WIDTH for n in _NUMBERS.findall(spec)):
            msg = f"{template!r}: field {{{name}:{spec}}} asks for a width over {MAX_WIDTH}"
            raise ValueError(msg)
        if names is not None and name not in names:
            known = ", ".join("{" + n + "}" for n in names)
            msg = f"{template!r}: {{{name}}} is not a field; use {known}"
            raise ValueError(msg)
        fields.append(name)
    return fields


def safe_format(template: str, values: Mapping[str, Any]) -> str:
    """``template.format(**values)`` after :func:`check_template`; ``ValueError`` otherwise
    (also for a format spec that does not suit the value)."""
    check_template(template, values)
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        msg = f"{template!r} cannot be filled ({exc})"
        raise ValueError(msg) from None
