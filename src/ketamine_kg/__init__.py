"""ketamine-kg: a validated knowledge graph of ketamine's medical uses and their evidence.

The Python API (docs/python-api.md) lives in `ketamine_kg.api` and is imported on first use,
so that `import ketamine_kg` loads no RDF library:

>>> import ketamine_kg
>>> any(c.drug.label == "esketamine" and c.status.label == "approved" for c in ketamine_kg.claims())
True

`store`, `graph`, `query`, `claims`, `examples`, `release_dir`, `Claim` and `Ref` are the
API's. Two of the names are also those of internal modules (`ketamine_kg/query.py`, the
`ketamine_kg/store/` package for remote triple stores); importing those must not replace the
functions here, so the package's module class keeps a submodule from taking an API name
(the documented hook for module attribute access: a ModuleType subclass as `__class__`).
Import those modules by their full name (`from ketamine_kg.query import run_query`).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

from ketamine_kg.version import __version__

__all__ = [
    "Claim",
    "Ref",
    "__version__",
    "claims",
    "examples",
    "graph",
    "query",
    "release_dir",
    "store",
]
#: The names of the Python API, read from ketamine_kg.api when first used.
API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from ketamine_kg.api import Claim, Ref, claims, examples, graph, query, release_dir, store


def __getattr__(name: str) -> object:
    if name in API:
        from ketamine_kg import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *API})


class _Package(types.ModuleType):
    """This package's module class: a submodule named like an API function (query, store) is
    not bound over it when imported.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
