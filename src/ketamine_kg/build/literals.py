"""One lexical form per value for numeric and boolean literals, so comparisons are by value."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from ketamine_kg.vocab import XSD

#: xsd:decimal and the types derived from it (one value space).
DECIMAL_TYPES = frozenset(
    XSD.term(t)
    for t in (
        *("decimal", "integer", "long", "int", "short", "byte", "nonNegativeInteger"),
        *("positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong"),
        *("unsignedInt", "unsignedShort", "unsignedByte"),
    )
)
FLOAT_TYPES = frozenset({XSD.double, XSD.float})


def canonical(value: str, datatype: str) -> str:
    """The canonical lexical form of a number or boolean; anything else (and any ill-typed
    form) unchanged.

    >>> canonical("1.50", XSD.decimal), canonical("+007", XSD.integer)
    ('1.5', '7')
    >>> canonical("1", XSD.boolean), canonical("1.0E2", XSD.double)
    ('true', '100.0')
    >>> canonical("PT4M", XSD.duration), canonical("oops", XSD.decimal)
    ('PT4M', 'oops')
    """
    if datatype in DECIMAL_TYPES:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        return format(number.normalize(), "f") if number else "0"
    if datatype in FLOAT_TYPES:
        try:
            real = float(value.strip())
        except ValueError:
            return value
        return repr(real) if math.isfinite(real) else value
    if datatype == XSD.boolean:
        return {"1": "true", "0": "false"}.get(value.strip(), value.strip())
    return value
