"""Indented JSON text, fast: what `json.dumps(value, indent=n, ensure_ascii=False,
sort_keys=...)` writes, character for character.

With an indent the standard library encodes in pure Python, through a generator per container;
a release's pages embed tens of thousands of JSON-LD blocks indented by one space (which orjson,
the writer of the JSON-LD documents, cannot indent), and this writer is several times faster.
Strings go through the same C escaper json uses (`encode_basestring`). A value this writer does
not know (a non-string key, an object of another type) is handed to `json.dumps`, which writes
it or raises as it always does.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring


def dumps(value: object, indent: int, sort_keys: bool = False) -> str:
    """`json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=sort_keys)`.

    >>> doc = {"b": [1, 2.5, None], "a": {"x": "é", "y": []}, "c": {}, "d": True}
    >>> dumps(doc, 2, sort_keys=True) == json.dumps(doc, indent=2, sort_keys=True,
    ...                                             ensure_ascii=False)
    True
    """
    parts: list[str] = []
    try:
        _write(value, parts, "\n", " " * indent, sort_keys)
    except _Unknown:
        return json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
    return "".join(parts)


class _Unknown(Exception):
    """A value `_write` leaves to json.dumps."""


def _write(value: object, out: list[str], newline: str, step: str, sort_keys: bool) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int) and type(value) is int:
        out.append(int.__repr__(value))
    elif isinstance(value, float) and type(value) is float and value - value == 0:
        out.append(float.__repr__(value))  # finite (json writes NaN and Infinity its own way)
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + step
        out.append("{")
        separator = inner
        for key, item in sorted(value.items()) if sort_keys else value.items():
            if not isinstance(key, str):
                raise _Unknown
            if type(item) is str:  # the common case, inline
                out += (separator, encode_basestring(key), ": ", encode_basestring(item))
            else:
                out += (separator, encode_basestring(key), ": ")
                _write(item, out, inner, step, sort_keys)
            separator = "," + inner
        out += (newline, "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + step
        out.append("[")
        separator = inner
        for item in value:
            if type(item) is str:
                out += (separator, encode_basestring(item))
            else:
                out.append(separator)
                _write(item, out, inner, step, sort_keys)
            separator = "," + inner
        out += (newline, "]")
    else:
        raise _Unknown
