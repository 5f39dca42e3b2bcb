"""Run the real KGX toolkit (`kgx` 2.6) on KGX TSV files offline, against the pinned Biolink Model.

    python scripts/kgx_validate.py out/kgx [more directories]

writes a JSON report to standard output: for each directory, the Biolink Model version the
validator used, kgx's validation errors with Biolink's prefixes plus ours (`OWN_PREFIXES`) and
with Biolink's prefixes alone, and the edges as kgx's streaming loader and its graph (NetworkX)
loader see them. kgx's own log lines go to standard error.

kgx builds a Biolink Model Toolkit (bmt) at import time from a file it downloads, and reads the
CURIE prefixes it accepts from a downloaded JSON-LD context. Here both come from the installed
`biolink-model` package instead: bmt gets the package's `biolink_model.yaml`, and kgx's config
points at a context made of the package's prefix map (the prefix entries of that release's
`context.jsonld`). bmt also loads Biolink's predicate mapping, which the package does not ship
and kgx's validator does not use; it gets an empty one. Every connection to a non-loopback
address raises, so a download anywhere fails the run instead of happening.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

from ketamine_kg.exports.kgx import OWN_PREFIXES

BIOLINK_VOCAB = "https://w3id.org/biolink/vocab/"


def _offline() -> None:
    """Refuse every connection and name look-up that leaves this machine."""
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo
    local = ("127.", "::1", "localhost")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else ""
        if isinstance(address, tuple) and not str(host).startswith(local):
            raise OSError(f"kgx_validate is offline: refused a connection to {address}")
        connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not str(host).startswith(local):
            raise OSError(f"kgx_validate is offline: refused to look up {host}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo


def _local_biolink(workdir: Path) -> dict[str, str]:
    """Point bmt and kgx at the installed Biolink Model; its prefix map."""
    import bmt
    import bmt.toolkit
    import yaml

    model = files("biolink_model")
    schema = str(model / "schema" / "biolink_model.yaml")
    prefixes = json.loads((model / "prefixmaps" / "biolink-model-prefix-map.json").read_text())

    class LocalToolkit(bmt.toolkit.Toolkit):
        def __init__(self, schema: Any = schema, predicate_map: Any = None, **kwargs: Any) -> None:
            super().__init__(schema, predicate_map or {"predicate mappings": []}, **kwargs)

    bmt.Toolkit = bmt.toolkit.Toolkit = LocalToolkit  # before kgx imports it
    import kgx
    import kgx.config

    config = yaml.safe_load((Path(kgx.__file__).parent / "config.yml").read_text())
    config["jsonld-context"] = {}
    (workdir / "config.yml").write_text(yaml.safe_dump(config))
    kgx.config.get_config(str(workdir / "config.yml"))
    return prefixes


def _use_prefixes(workdir: Path, prefixes: dict[str, str]) -> None:
    """Make `prefixes` the Biolink JSON-LD context that kgx's validator reads."""
    import kgx.config

    path = workdir / f"context-{len(prefixes)}.jsonld"
    path.write_text(json.dumps({"@context": {**prefixes, "@vocab": BIOLINK_VOCAB}}))
    kgx.config.get_config()["jsonld-context"]["biolink"] = str(path)
    kgx.config.jsonld_context_map.clear()


def _validate(inputs: list[str], workdir: Path) -> tuple[str, dict[str, Any]]:
    """What `kgx validate -i tsv INPUTS` reports (the function behind that command)."""
    from kgx.cli.cli_utils import validate
    from kgx.validator import Validator

    errors = validate(inputs, "tsv", None, str(workdir / "validation-report.json"))
    version = Validator.get_toolkit().get_model_version()
    return version, json.loads(json.dumps(errors, default=str))


def _loaded_edges(inputs: list[str]) -> dict[str, list[str]]:
    """Edge ids as kgx's streaming loader passes them on and as its graph keeps them."""
    from kgx.transformer import Transformer
    from kgx.utils.kgx_utils import GraphEntityType

    streamed: list[str] = []

    def count(kind: GraphEntityType, record: list[Any]) -> None:
        if kind == GraphEntityType.EDGE:
            streamed.append(record[-1]["id"])

    Transformer(stream=True).transform(
        input_args={"filename": inputs, "format": "tsv"},
        output_args={"format": "null"},
        inspector=count,
    )
    graph = Transformer()
    graph.transform(input_args={"filename": inputs, "format": "tsv"})
    kept = [data["id"] for *_, data in graph.store.graph.graph.edges(keys=True, data=True)]
    return {"streamed": sorted(streamed), "graph": sorted(kept)}


def report(directories: list[Path]) -> list[dict[str, Any]]:
    """The report for each directory of `*_nodes.tsv` and `*_edges.tsv` (see the module)."""
    _offline()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        biolink = _local_biolink(Path(tmp))
        for directory in directories:
            inputs = [
                str(p) for kind in ("nodes", "edges") for p in directory.glob(f"*_{kind}.tsv")
            ]
            _use_prefixes(Path(tmp), {**biolink, **OWN_PREFIXES})
            version, errors = _validate(inputs, Path(tmp))
            _use_prefixes(Path(tmp), biolink)
            _, biolink_only = _validate(inputs, Path(tmp))
            results.append(
                {
                    "directory": str(directory),
                    "inputs": inputs,
                    "biolink_version": version,
                    "errors": errors,
                    "errors_biolink_prefixes_only": biolink_only,
                    "edges": _loaded_edges(inputs),
                }
            )
    return results


def main(argv: list[str]) -> int:
    """Write the report of the directories in `argv` to standard output."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # kgx logs to standard output
        results = report([Path(a) for a in argv])
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
