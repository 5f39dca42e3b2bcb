"""What a real server says each file and each negotiated document is: the format records'
media types, never `application/octet-stream`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ketamine_kg import formats

THING = "/ketamine-kg/id/drug/ketamine"


@pytest.fixture(scope="module")
def client(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


def served_as(response: httpx.Response, fmt: formats.Format) -> bool:
    """The response's Content-Type is the format's media type, with UTF-8 where it is text
    (Starlette adds the charset to every text/* type as well).
    """
    media, _, parameters = response.headers["content-type"].partition(";")
    return media == fmt.media_type and (not fmt.text or parameters.strip() == "charset=utf-8")


def one_file_per_format(release_dir: Path) -> dict[str, str]:
    """A release file of each format the release holds: format name -> file name."""
    found: dict[str, str] = {}
    for path in sorted(release_dir.rglob("*")):
        name = path.relative_to(release_dir).as_posix()
        fmt = formats.for_file(name)
        if path.is_file() and fmt is not None:
            found.setdefault(fmt.name, name)
    return found


def test_every_kind_of_release_file_is_served_with_its_format(client, release_dir: Path) -> None:
    files = one_file_per_format(release_dir)
    assert len(files) >= 10  # dumps, pages, queries, SVG, CSS, TSV, schema, text …
    for fmt_name, name in files.items():
        r = client.get(f"/downloads/{name}")
        assert r.status_code == 200, name
        assert served_as(r, formats.by_name(fmt_name)), name


@pytest.mark.parametrize("fmt", formats.NEGOTIATED_FORMATS, ids=lambda f: f.name)
def test_a_thing_negotiates_to_each_document_format(client, fmt: formats.Format) -> None:
    seen = client.get(THING, headers={"Accept": fmt.media_type})
    assert seen.status_code == 303
    assert seen.headers["location"].endswith(f".{fmt.extension}")
    document = client.get(seen.headers["location"])
    assert document.status_code == 200
    assert served_as(document, fmt)


def test_the_service_description_lists_every_answer_format(client) -> None:
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    listed = {line.split()[2].strip("<>") for line in r.text.splitlines() if "resultFormat" in line}
    expected = {f.iri for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)}
    assert listed == expected
