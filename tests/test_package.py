"""The package as a user gets it: the release lookup order, the Python API, `python -m
ketamine_kg`, and (slow) a wheel and an sdist built, the wheel installed into a fresh venv and
run from outside the checkout.

The build needs the `build` package (in the `test` extra); without it the wheel is built with
`pip wheel` and the sdist test skips, unless KETAMINE_KG_REQUIRE_BUILD=1 (CI), which makes it
fail.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT

import ketamine_kg
from ketamine_kg import api
from ketamine_kg.release.directory import NQUADS, ReleaseMissing
from ketamine_kg.release.locate import ENV_VAR, locate

OUT = ROOT / "out"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without a release named in it (and with `extra`)."""
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return {**env, **extra}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ketamine_kg", *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def marked_release(where: Path, marker: str) -> Path:
    """A small release whose only example query is named `marker`, so that `query --list`
    says which release was read.
    """
    (where / "queries").mkdir(parents=True)
    shutil.copy(OUT / NQUADS, where / NQUADS)
    (where / "queries" / f"{marker}.rq").write_text(f"# The {marker} release\nASK {{}}\n")
    return where


def listed(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines()]


def fake_checkout(root: Path, marker: str) -> Path:
    """A directory the CLI takes for a checkout (ontology/ beside pyproject.toml) whose out/
    is a marked release.
    """
    (root / "ontology").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    marked_release(root / "out", marker)
    return root


# ---------------------------------------------------------------- the lookup order


def test_outside_a_checkout_the_package_release_is_read(tmp_path: Path) -> None:
    # Run from src/ (as here, or an editable install), "the package's release" is the
    # checkout's out/: every example it ships is listed.
    names = listed(cli("query", "--list", cwd=tmp_path))
    assert names == sorted(p.stem for p in (OUT / "queries").glob("*.rq"))


def test_the_environment_variable_beats_the_checkout_around_the_cwd(tmp_path: Path) -> None:
    env = clean_env(**{ENV_VAR: str(marked_release(tmp_path / "env", "from-env"))})
    assert listed(cli("query", "--list", cwd=ROOT, env=env)) == ["from-env"]


def test_the_directory_given_beats_the_environment_variable(tmp_path: Path) -> None:
    env = clean_env(**{ENV_VAR: str(marked_release(tmp_path / "env", "from-env"))})
    given = marked_release(tmp_path / "given", "given")
    assert listed(cli("query", "--list", "--release", str(given), cwd=ROOT, env=env)) == ["given"]


def test_project_beats_the_environment_variable(tmp_path: Path) -> None:
    env = clean_env(**{ENV_VAR: str(marked_release(tmp_path / "env", "from-env"))})
    project = fake_checkout(tmp_path / "project", "of-project")
    result = cli("--project", str(project), "query", "--list", cwd=tmp_path, env=env)
    assert listed(result) == ["of-project"]


def test_the_checkout_around_the_cwd_beats_the_package(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path / "checkout", "of-checkout")
    (checkout / "ontology" / "deeper").mkdir()
    assert listed(cli("query", "--list", cwd=checkout / "ontology" / "deeper")) == ["of-checkout"]


def test_a_named_directory_without_a_release_is_an_error_not_a_fall_through(
    tmp_path: Path,
) -> None:
    env = clean_env(**{ENV_VAR: str(tmp_path / "nothing")})
    result = cli("query", "--list", cwd=ROOT, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(
        f"error: no release at {tmp_path / 'nothing'} (from ${ENV_VAR}): {NQUADS} is missing"
    )


def test_a_release_without_examples_does_not_list_nothing(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    shutil.copy(OUT / NQUADS, tmp_path / "r" / NQUADS)
    result = cli("query", "--list", "--release", str(tmp_path / "r"), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: the release at {tmp_path / 'r'} (given as --release DIR) ships no example "
        f"queries (no {tmp_path / 'r' / 'queries'}/*.rq)\n"
    )


def copied_package(tmp_path: Path) -> Path:
    """The package's code alone (no release, no checkout around it), as a wheel without its
    release would install it.
    """
    shutil.copytree(
        ROOT / "src" / "ketamine_kg",
        tmp_path / "site" / "ketamine_kg",
        ignore=shutil.ignore_patterns("__pycache__", "release_data"),
    )
    return tmp_path / "site"


def test_no_release_anywhere_says_what_was_looked_for(tmp_path: Path) -> None:
    site = copied_package(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    env = clean_env(PYTHONPATH=str(site))
    for args in (("query", "--list"), ("serve",)):
        result = cli(*args, cwd=tmp_path / "elsewhere", env=env)
        assert result.returncode == 1 and result.stdout == "", args
        given = "--release DIR" if args[0] == "query" else "serve DIR"
        assert result.stderr == (
            f"error: no release found: none was given ({given}), ${ENV_VAR} is not set, no "
            f"ketamine-kg checkout contains {tmp_path / 'elsewhere'}, and the package ships "
            f"none (no {site / 'ketamine_kg' / 'release_data'}). Give a release directory "
            f"(one holding {NQUADS}, such as a checkout's out/) as {given} or in "
            f"${ENV_VAR}, run inside a checkout, or install the package from its wheel or "
            "sdist, which carry the release\n"
        )


def test_build_outside_a_checkout_says_it_needs_one(tmp_path: Path) -> None:
    site = copied_package(tmp_path)
    result = cli("build", cwd=tmp_path, env=clean_env(PYTHONPATH=str(site)))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(
        f"error: `ketamine-kg build` needs a ketamine-kg checkout (its sources), and none "
        f"contains {tmp_path}: run it inside a clone of the repository or give --project DIR"
    )


def test_help_documents_the_lookup_order(tmp_path: Path) -> None:
    for args in ((), ("query",), ("serve",)):
        result = cli(*args, "--help", cwd=tmp_path)
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert f"else ${ENV_VAR}, else out/ of the checkout containing the working" in text


# ---------------------------------------------------------------- the Python API


def test_import_loads_no_rdf_library(tmp_path: Path) -> None:
    heavy = ("pyoxigraph", "rdflib", "pyshacl", "owlready2", "ketamine_kg.api")
    probe = f"import sys, ketamine_kg; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


def test_api_names_survive_the_import_of_same_named_modules() -> None:
    import ketamine_kg.query  # the SPARQL helpers
    import ketamine_kg.store.gsp  # the remote-store package

    assert ketamine_kg.query is api.query and ketamine_kg.store is api.store
    assert sys.modules["ketamine_kg.query"].run_query is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = ketamine_kg.nope  # type: ignore[attr-defined]


def test_claims_agree_with_sparql() -> None:
    rows = ketamine_kg.query(
        """SELECT ?claim ?drug ?use ?status ?jurisdiction WHERE {
             ?claim a kko:TherapeuticUseClaim ; kko:drug/rdfs:label ?drug ;
                    kko:useStatus/rdfs:label ?status .
             { ?claim kko:condition/rdfs:label ?use } UNION { ?claim kko:procedure/rdfs:label ?use }
             OPTIONAL { ?claim kko:jurisdiction/rdfs:label ?jurisdiction } }"""
    )
    assert isinstance(rows, list)
    expected = {
        tuple(r[k].value if r[k] is not None else None for k in r)  # type: ignore[union-attr]
        for r in rows
    }
    got = {
        (c.iri, c.drug.label, c.use.label, c.status.label, c.jurisdiction and c.jurisdiction.label)
        for c in ketamine_kg.claims()
    }
    assert got == expected and len(got) >= 20


def test_the_api_reads_the_release_given(tmp_path: Path) -> None:
    release = marked_release(tmp_path / "r", "only-here")
    assert list(ketamine_kg.examples(release)) == ["only-here"]
    assert ketamine_kg.query("only-here", release=release) is True
    with pytest.raises(ReleaseMissing, match=r"\(given as release=\)"):
        ketamine_kg.store(tmp_path / "missing")


def test_the_api_follows_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(marked_release(tmp_path / "env", "from-env")))
    assert list(ketamine_kg.examples()) == ["from-env"]
    assert locate().origin == f"from ${ENV_VAR}"


def test_python_dash_m_is_the_cli(tmp_path: Path) -> None:
    for module in ("ketamine_kg", "ketamine_kg.cli"):
        result = subprocess.run(
            [sys.executable, "-m", module, "--version"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout == f"ketamine-kg {ketamine_kg.__version__}\n"


# ---------------------------------------------------------------- wheel and sdist (slow)


def build_available(cwd: Path) -> bool:
    """Whether the `build` package is installed (asked from outside the checkout, whose
    build.py would otherwise answer for it).
    """
    probe = [sys.executable, "-c", "import build.__main__"]
    return subprocess.run(probe, cwd=cwd, capture_output=True, check=False).returncode == 0


def working_tree_copy(destination: Path) -> Path:
    """The checkout's files as git sees them (tracked, or new and not ignored), copied: what
    `pip wheel` builds from, so that its in-tree build/ lands here and not in the checkout.
    """
    listed_files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed_files.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and (with `build`) the sdist, built from the checkout; with `build`, the
    wheel is built from the sdist, so the sdist is shown to carry everything the wheel needs.
    Without it, `pip wheel` builds the wheel from a copy of the working tree.
    """
    where = tmp_path_factory.mktemp("dist")
    if build_available(where):
        command = [sys.executable, "-m", "build", "--outdir", str(where), str(ROOT)]
    else:
        tree = working_tree_copy(tmp_path_factory.mktemp("tree"))
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(where), str(tree)]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = {"wheel": next(where.glob("ketamine_kg-*.whl"))}
    sdists = list(where.glob("ketamine_kg-*.tar.gz"))
    return found | ({"sdist": sdists[0]} if sdists else {})


def expected_release() -> dict[str, str]:
    """The committed release: relative path -> SHA-256, as out/SHA256SUMS lists it."""
    lines = (OUT / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its dependencies installed."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q", str(dist["wheel"])]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=900, env=venv_env(root))
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def venv_env(venv: Path) -> dict[str, str]:
    """The environment of a command in `venv`: nothing of this checkout's on the path."""
    env = {k: v for k, v in clean_env().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}


def in_venv(venv: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / command[0]), *command[1:]],
        cwd=cwd,
        env=venv_env(venv),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_installed_wheel_works_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    listing = in_venv(venv, "ketamine-kg", "query", "--list", cwd=tmp_path)
    assert listed(listing) == sorted(p.stem for p in (OUT / "queries").glob("*.rq"))

    answer = in_venv(venv, "ketamine-kg", "query", "approved-conditions", "-f", "csv", cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert "esketamine,treatment-resistant depression,US,2019-03-05" in answer.stdout

    usage = in_venv(venv, "python", "-m", "ketamine_kg", "--help", cwd=tmp_path)
    assert usage.returncode == 0 and "Release lookup, first match wins" in usage.stdout

    probe = (
        "import ketamine_kg; r = ketamine_kg.release_dir(); "
        "print(r.path); print(r.origin); print(len(ketamine_kg.claims())); "
        "print(ketamine_kg.query('ASK { drug:esketamine kko:enantiomerOf drug:arketamine }'))"
    )
    python = in_venv(venv, "python", "-c", probe, cwd=tmp_path)
    assert python.returncode == 0, python.stderr
    path, origin, count, ask = python.stdout.splitlines()
    assert Path(path).is_relative_to(venv) and Path(path).name == "release_data"
    assert origin == "shipped in the package"
    assert int(count) == len(ketamine_kg.claims(OUT)) and ask == "True"

    build = in_venv(venv, "ketamine-kg", "build", cwd=tmp_path)
    assert build.returncode == 2 and "needs a ketamine-kg checkout" in build.stderr


@pytest.mark.slow
def test_installed_release_is_byte_identical_to_out(venv: Path) -> None:
    (packaged,) = venv.glob("lib/python*/site-packages/ketamine_kg/release_data")
    files = {p.relative_to(packaged).as_posix(): p for p in packaged.rglob("*") if p.is_file()}
    expected = expected_release()
    assert set(files) == {*expected, "SHA256SUMS"}
    assert files["SHA256SUMS"].read_bytes() == (OUT / "SHA256SUMS").read_bytes()
    assert {name: sha256(files[name].read_bytes()) for name in expected} == expected


@pytest.mark.slow
def test_without_its_release_the_installed_package_says_so(venv: Path, tmp_path: Path) -> None:
    (packaged,) = venv.glob("lib/python*/site-packages/ketamine_kg/release_data")
    aside = packaged.with_name("release_data-aside")
    packaged.rename(aside)
    try:
        result = in_venv(venv, "ketamine-kg", "query", "--list", cwd=tmp_path)
    finally:
        aside.rename(packaged)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: no release found: none was given (--release DIR)")
    assert f"the package ships none (no {packaged})" in result.stderr


@pytest.mark.slow
def test_sdist_carries_the_sources_and_the_release(dist: dict[str, Path]) -> None:
    if "sdist" not in dist:
        reason = "the `build` package is not installed (pip install -e '.[test]'), no sdist"
        if os.environ.get("KETAMINE_KG_REQUIRE_BUILD") == "1":
            pytest.fail(reason + "; KETAMINE_KG_REQUIRE_BUILD=1 requires it")
        pytest.skip(reason)
    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1]: m for m in sdist.getmembers() if m.isfile()}
        release = {
            name.removeprefix("out/"): sha256(sdist.extractfile(m).read())  # type: ignore[union-attr]
            for name, m in members.items()
            if name.startswith("out/")
        }
    expected = expected_release()
    assert release == {**expected, "SHA256SUMS": sha256((OUT / "SHA256SUMS").read_bytes())}
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "src", "ontology", "data", "mappings", "shapes",
         "queries", "schemas", "docs", "tests"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert set(tracked) <= set(members), sorted(set(tracked) - set(members))[:10]
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "build.py", "README.md", "LICENSE"):
        assert name in members, name
    assert not any("__pycache__" in name or "release_data" in name for name in members)
