"""The published JSON-LD frame of the condition views (frames/condition-view.jsonld): framing the
published dump with it gives exactly the published views, with pyld and with jsonld.js.

Framing leaves out a list key with no items, which a view writes as [] (a condition no claim
is about has "claims": []); that is the one difference, and the tests check it is no other.
The jsonld.js test installs the `jsonld` package from the npm registry into a temporary folder
and skips, saying why, when node or npm is missing or the install fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonld_expand import loader
from pyld import jsonld as pyld

from ketamine_kg.release.directory import CONDITION_FRAME, JSONLD

#: jsonld.js, major version 9 (the current one on the npm registry when this was written).
JSONLD_JS = "jsonld@9"
#: Frames a document with a frame (file paths as arguments), offline; the result on stdout.
FRAME_JS = """
import {readFileSync} from 'node:fs';
import jsonld from 'jsonld';
const [documentPath, framePath] = process.argv.slice(2);
const read = path => JSON.parse(readFileSync(path, 'utf8'));
const documentLoader = url => { throw new Error(`offline: no document at ${url}`); };
const framed = await jsonld.frame(read(documentPath), read(framePath), {documentLoader});
process.stdout.write(JSON.stringify(framed));
"""


def _views(release_dir: Path) -> dict[str, dict]:
    folder = release_dir / "views" / "condition"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.jsonld"))}


def _as_views(framed: dict, views: dict[str, dict]) -> dict[str, dict]:
    """The framed nodes as view documents (the frame's context, each node), by slug, with the
    list keys framing leaves out when they have no items put back as []."""
    nodes = framed.get("@graph", [framed])
    found = {}
    for node in nodes:
        slug = node["id"].rsplit("/", 1)[-1]
        view = {"@context": framed["@context"], **node}
        absent = set(views.get(slug, {})) - set(view)
        assert absent <= {"claims"} and all(views[slug][k] == [] for k in absent), (slug, absent)
        found[slug] = {**view, **{key: [] for key in absent}}
    return found


def _frame_for(frame: dict, node_id: str) -> dict:
    """The frame of one view: the node's id in place of the type (processors differ on which
    of the two decides when a frame names both)."""
    return {**{k: v for k, v in frame.items() if k != "@type"}, "id": node_id}


@pytest.fixture(scope="module")
def frame(release_dir: Path) -> dict:
    return json.loads((release_dir / CONDITION_FRAME).read_text())


@pytest.fixture(scope="module")
def dump(release_dir: Path) -> dict:
    return json.loads((release_dir / JSONLD).read_text())


def test_the_frame_is_a_release_file(release_dir: Path, frame: dict) -> None:
    sums = (release_dir / "SHA256SUMS").read_text()
    assert f"  {CONDITION_FRAME}\n" in sums
    assert f"/{CONDITION_FRAME}>" in (release_dir / "ketamine-kg-metadata.ttl").read_text()
    assert frame["@type"] == "kko:MedicalCondition" and frame["claims"]["@embed"] == "@always"


def test_pyld_frames_the_dump_into_the_views(release_dir: Path, frame: dict, dump: dict) -> None:
    views = _views(release_dir)
    options = {"documentLoader": loader({})}  # everything is embedded: no document is loaded
    assert _as_views(pyld.frame(dump, frame, options), views) == views
    one = pyld.frame(dump, _frame_for(frame, "kk:condition/ptsd"), options)
    assert _as_views(one, views) == {"ptsd": views["ptsd"]}


@pytest.fixture(scope="module")
def jsonld_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A script framing with jsonld.js, installed from the npm registry into a temporary folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("jsonld.js test: node and npm are not installed")
    folder = tmp_path_factory.mktemp("jsonld-js")
    command = [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(folder)]
    try:
        installed = subprocess.run(
            [*command, JSONLD_JS], capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"jsonld.js test: `npm install {JSONLD_JS}` did not finish in 300 s")
    if installed.returncode != 0:
        reason = (installed.stderr.strip().splitlines() or ["no message"])[-1]
        pytest.skip(f"jsonld.js test: `npm install {JSONLD_JS}` failed: {reason}")
    script = folder / "frame.mjs"
    script.write_text(FRAME_JS)
    return script


def _frame_with_jsonld_js(script: Path, document: Path, frame: Path) -> dict:
    result = subprocess.run(
        ["node", str(script), str(document), str(frame)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_jsonld_js_frames_the_dump_into_the_views(
    release_dir: Path, frame: dict, jsonld_js: Path, tmp_path: Path
) -> None:
    views = _views(release_dir)
    framed = _frame_with_jsonld_js(jsonld_js, release_dir / JSONLD, release_dir / CONDITION_FRAME)
    assert _as_views(framed, views) == views
    one = tmp_path / "ptsd-frame.jsonld"
    one.write_text(json.dumps(_frame_for(frame, "kk:condition/ptsd")))
    framed = _frame_with_jsonld_js(jsonld_js, release_dir / JSONLD, one)
    assert _as_views(framed, views) == {"ptsd": views["ptsd"]}
