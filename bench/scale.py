"""How the build grows with the graph: a synthetic project in the project's own model, built at
several sizes in fresh processes; per-stage wall time, CPU time and peak RSS, and the ratios.

The synthetic graph is the curated data copied K times: every IRI we mint gets a `-kN` suffix
in copy N, its labels a " (copy N)" suffix, and every SSSOM row a fresh external identifier of
the same scheme and form (its digits shifted; rows of codes with fewer than four digits are
not copied), so that the gate passes at every size. The
ontology, vocabularies, shapes and queries are the real ones. Identifiers in the copies are
fake and never leave the temporary directory.

Usage: python bench/scale.py [TRIPLES ...]   (default: 10000 30000)
       python bench/scale.py --qc TRIPLES    (only the QC queries, on a store of that size)
"""

from __future__ import annotations

import contextlib
import itertools
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketamine_kg.vocab import ID, PREFIXES  # noqa: E402

LABELS = {
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
}
#: Coprime with every power of ten, so that copies of one identifier never meet.
STRIDE = 7919
#: Copies of one data file per synthetic file (a source may have at most 8 MiB).
COPIES_PER_FILE = 50
STAGE = re.compile(r"^\s*(\w+)\s+.*\((\d+\.\d+)s\)$")


def _rename(term: ox.NamedNode | ox.BlankNode | ox.Literal, copy: int) -> ox.NamedNode:
    if copy and isinstance(term, ox.NamedNode) and term.value.startswith(ID):
        return ox.NamedNode(f"{term.value}-k{copy}")
    return term  # type: ignore[return-value]


def _copy_triple(t: ox.Triple, copy: int) -> ox.Triple:
    obj = t.object
    if copy and isinstance(obj, ox.Literal) and t.predicate.value in LABELS:
        obj = ox.Literal(f"{obj.value} (copy {copy})", language=obj.language)
    return ox.Triple(_rename(t.subject, copy), t.predicate, _rename(obj, copy))


def _shift_digits(local: str, copy: int) -> str:
    """The same form with the number its digits make, read together, moved by `copy` strides
    of a prime (modulo its width): distinct per copy for fewer copies than the width allows
    (ICD's F42 allows 100); `_fresh` steps past those another identifier's copy took.
    """
    runs = list(re.finditer(r"\d+", local))
    if not copy or not runs:
        return local
    digits = "".join(m.group() for m in runs)
    low = 0 if digits.startswith("0") else 10 ** (len(digits) - 1)  # no new leading zero
    span = 10 ** len(digits) - low
    shifted = str(low + (int(digits) - low + copy * STRIDE) % span).zfill(len(digits))
    out, taken, end = [], 0, 0
    for m in runs:
        out += [local[end : m.start()], shifted[taken : taken + len(m.group())]]
        taken, end = taken + len(m.group()), m.end()
    return "".join([*out, local[end:]])


def _fresh(object_id: str, copy: int, taken: dict[tuple[str, int] | str, str]) -> str:
    """A new identifier of the same scheme and form for `copy` (the same one for every row of
    that copy that maps to `object_id`), taken by no other identifier or copy.
    """
    if (object_id, copy) in taken:
        return taken[(object_id, copy)]
    prefix, _, local = object_id.partition(":")
    for attempt in range(1000):
        fresh = f"{prefix}:{_shift_digits(local, copy + attempt * 104_729)}"
        if fresh not in taken:
            taken[fresh] = taken[(object_id, copy)] = fresh
            return fresh
    raise SystemExit(f"too many copies for the identifier {object_id!r}")


def _sssom(text: str, copies: range, taken: dict[tuple[str, int] | str, str]) -> str:
    lines = text.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    columns = body[0].rstrip("\n").split("\t")
    rows = []
    if copies.start:  # a further file of the set: its own set IRI
        header = [re.sub(r"^(# mapping_set_id: \S+)", rf"\1-{copies.start}", h) for h in header]
    for copy in copies:
        for line in body[1:]:
            cells = line.rstrip("\n").split("\t")
            row = dict(zip(columns, cells, strict=True))
            if copy:
                if sum(c.isdigit() for c in row["object_id"].partition(":")[2]) < 4:
                    continue  # a short code (ICD's F42) has too few values to copy apart
                row["subject_id"] += f"-k{copy}"
                row["object_id"] = _fresh(row["object_id"], copy, taken)
                if "subject_label" in row:
                    row["subject_label"] += f" (copy {copy})"
            rows.append("\t".join(row[c] for c in columns) + "\n")
    rows.sort(key=lambda r: (r.split("\t")[0], r.split("\t")[2]))
    return "".join(header + body[:1] + rows)


def make_project(destination: Path, copies: int, mappings: bool = True) -> int:
    """A synthetic project at `destination`; returns the triples of its data."""
    for name in ("ontology", "shapes", "queries", "schemas"):
        shutil.copytree(ROOT / name, destination / name)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    (destination / "data").mkdir()
    total = 0
    for path in sorted((ROOT / "data").glob("*.ttl")):
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        for first in range(0, copies, COPIES_PER_FILE):  # sources have a size limit
            copied = [
                _copy_triple(t, k)
                for k in range(first, min(first + COPIES_PER_FILE, copies))
                for t in triples
            ]
            total += len(copied)
            name = path.name if not first else f"{path.stem}-{first}.ttl"
            (destination / "data" / name).write_bytes(
                ox.serialize(copied, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)) or b""
            )
    (destination / "mappings").mkdir()
    sets = [] if not mappings else sorted((ROOT / "mappings").glob("*.sssom.tsv"))
    taken: dict[tuple[str, int] | str, str] = {}  # no copy takes a mapped identifier
    for path in sets:
        rows = [r for r in path.read_text(encoding="utf-8").splitlines() if not r.startswith("#")]
        column = rows[0].split("\t").index("object_id")
        taken |= {row.split("\t")[column]: "" for row in rows[1:]}
    for path in sets:
        text = path.read_text(encoding="utf-8")
        vocab = path.name.startswith("vocab")  # the vocabularies are not copied
        if vocab:
            (destination / "mappings" / path.name).write_text(text)
            continue
        for first in range(0, copies, COPIES_PER_FILE):
            name = path.name.replace(".sssom", f"-{first}.sssom") if first else path.name
            chunk = range(first, min(first + COPIES_PER_FILE, copies))
            (destination / "mappings" / name).write_text(_sssom(text, chunk, taken))
    return total


def build(project: Path) -> dict[str, float]:
    """One build in a fresh process: stage -> seconds, plus wall, cpu and peak MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ketamine_kg.cli", "--project", str(project), "build"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"the build failed:\n{done.stderr[-3000:]}")
    stages = {
        m.group(1): float(m.group(2))
        for line in done.stderr.splitlines()
        if (m := STAGE.match(line))
    }
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**stages, "total": wall, "cpu": cpu, "peak MiB": after.ru_maxrss / 1024}


def copies_for(triples: int) -> int:
    """How many copies of the data give about `triples` data triples."""
    one = sum(
        1
        for path in (ROOT / "data").glob("*.ttl")
        for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    )
    return max(1, round(triples / one))


def qc_only(triples: int) -> None:
    """Each QC query's time on a store of the synthetic data (no build)."""
    with tempfile.TemporaryDirectory() as tmp:
        size = make_project(Path(tmp), copies_for(triples), mappings=False)
        store = ox.Store()
        for path in sorted(Path(tmp, "data").glob("*.ttl")):
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        print(f"{size:,} data triples")
        for query in sorted(Path(tmp, "queries", "qc").glob("*.rq")):
            start = time.perf_counter()
            rows = len(list(store.query(query.read_text(), use_default_graph_as_union=True)))
            print(f"{query.name:<40} {time.perf_counter() - start:8.3f} s  {rows} rows")


def main() -> None:
    if sys.argv[1:2] == ["--qc"]:
        qc_only(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 30_000]
    results = []
    # Every project is kept until all are built: on a file system that is slow to create files
    # soon after many were deleted (bench/README.md), deleting one would slow the next build.
    with contextlib.ExitStack() as projects:
        for size in sizes:
            tmp = projects.enter_context(tempfile.TemporaryDirectory())
            triples = make_project(Path(tmp), copies_for(size))
            print(f"building {triples:,} data triples …", file=sys.stderr, flush=True)
            results.append((triples, build(Path(tmp))))
    stages = list(dict.fromkeys(k for _, r in results for k in r))
    print(f"{'data triples':>12} " + " ".join(f"{s:>9}" for s in stages))
    for triples, r in results:
        print(f"{triples:>12,} " + " ".join(f"{r.get(s, 0):>9.2f}" for s in stages))
    for (small, a), (large, b) in itertools.pairwise(results):
        print(
            f"{large:,}/{small:,} triples = {large / small:.1f}x: "
            f"total {b['total'] / a['total']:.1f}x, cpu {b['cpu'] / a['cpu']:.1f}x"
        )


if __name__ == "__main__":
    main()
