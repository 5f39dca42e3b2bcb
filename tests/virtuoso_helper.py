"""scripts/virtuoso.py, loaded for the tests that start their own Virtuoso servers, and the
graph layout each of those tests publishes into."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ketamine_kg.store.publish import Layout

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "virtuoso.py"


def load(name: str = "virtuoso_script") -> ModuleType:
    """The script as a module; a separate `name` gives a copy a test may change (its INI)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def require(vt: ModuleType) -> None:
    """Skip (or, with KETAMINE_KG_REQUIRE_VIRTUOSO=1 as in CI, fail) without Virtuoso."""
    if not vt.installed():
        reason = "virtuoso-t/isql-vt not installed (apt-get install virtuoso-opensource)"
        if os.environ.get("KETAMINE_KG_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(reason + "; KETAMINE_KG_REQUIRE_VIRTUOSO=1 requires it")
        pytest.skip(reason)


def layout_for(request: pytest.FixtureRequest, area: str) -> Layout:
    """Graph IRIs of their own for one test (under example.org/`area`/<test name>/), so tests
    sharing a server never see each other's versions.
    """
    name = re.sub(r"[^\w.-]", "_", request.node.name)  # parametrized names hold [ and spaces
    base = f"https://example.org/{area}/{name}/"
    return Layout(version_base=base + "release/", registry=base + "releases")
