"""The W3C SPARQL 1.1 Protocol tests against a real server.

The query tests must pass; the update tests must be refused with a 4xx, since the endpoint is
read-only. The server runs on a copy of the release to which the manifest's graphs (data1-3)
are added as named graphs; data0, referenced by the manifest without a file, gets a
one-triple placeholder so that "ASK {}" over it is a query on a graph of the release.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import rdflib
from conftest import SHARED, LiveServer
from rdflib.collection import Collection

pytestmark = pytest.mark.server
SUITE = SHARED / "w3c" / "rdf-tests" / "sparql" / "sparql11" / "protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
DATA = "http://kasei.us/2009/09/sparql/data/"


def _tests() -> list[tuple[str, list[dict]]]:
    if not SUITE.is_dir():
        return []
    g = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    out = []
    for test in Collection(g, g.value(manifest, MF.entries)):
        action = g.value(test, MF.action)
        requests = []
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            if g.value(req, HT.headers) is not None:
                for h in Collection(g, g.value(req, HT.headers)):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = g.value(req, HT.body)
            resp = g.value(req, HT.resp)
            requests.append(
                {
                    "method": str(g.value(req, HT.methodName)),
                    "path": str(g.value(req, HT.absolutePath)),
                    "headers": headers,
                    "body": None
                    if body is None
                    else str(g.value(body, CNT.chars)).encode(
                        str(g.value(body, CNT.characterEncoding) or "UTF-8")
                    ),
                    "status": {
                        str(s).removeprefix(HTS)[0] for s in g.objects(resp, MF.expectedStatus)
                    },
                    "boolean": g.value(resp, MF.expectedBoolean),
                    "format": str(g.value(resp, MF.expectedFormat) or ""),
                }
            )
        out.append((str(test).rsplit("#", 1)[-1], requests))
    return out


TESTS = _tests()
needs_suite = pytest.mark.skipif(
    not SUITE.is_dir(), reason=f"W3C protocol suite not found at {SUITE} (../shared/ absent)"
)


@pytest.fixture(scope="module")
def w3c_server(release_dir: Path, tmp_path_factory):
    release = tmp_path_factory.mktemp("w3c") / "release"
    shutil.copytree(release_dir, release)
    with (release / "ketamine-kg.nq").open("a") as nq:
        for n in (1, 2, 3):
            for line in (SUITE / f"data{n}.nt").read_text().splitlines():
                if line.strip():
                    nq.write(line.rstrip().removesuffix(".").rstrip() + f" <{DATA}data{n}.rdf> .\n")
        nq.write(
            f'<{DATA}data0.rdf> <http://www.w3.org/2000/01/rdf-schema#comment> "placeholder" <{DATA}data0.rdf> .\n'
        )
    server = LiveServer(release)
    yield server.url
    server.stop()


def _is_update(request: dict) -> bool:
    content = request["headers"].get("content-type", "")
    text = request["path"] + (request["body"] or b"").decode("latin-1")
    return "sparql-update" in content or "update=" in text


@needs_suite
def test_suite_has_query_and_update_tests() -> None:
    names = [n for n, _ in TESTS]
    assert len(names) == 34 and sum(n.startswith("query_") for n in names) >= 10


@needs_suite
@pytest.mark.parametrize(("name", "requests"), TESTS, ids=[n for n, _ in TESTS])
def test_w3c_protocol(w3c_server: str, name: str, requests: list[dict]) -> None:
    with httpx.Client(base_url=w3c_server, timeout=30) as client:
        for request in requests:
            headers = {k: v for k, v in request["headers"].items() if k.lower() != "host"}
            r = client.request(
                request["method"], request["path"], headers=headers, content=request["body"]
            )
            if _is_update(request):
                assert 400 <= r.status_code < 500, f"update not refused: {r.status_code}"
                continue
            if name.startswith("update_"):
                # a follow-up query checking the (refused) update's effect: it must still be answered
                assert r.status_code == 200, r.text
                continue
            assert str(r.status_code)[0] in request["status"], f"{r.status_code}: {r.text[:200]}"
            content_type = r.headers.get("content-type", "")
            if request["format"] == "tabular":
                assert content_type.startswith(
                    ("application/sparql-results+", "text/csv", "text/tab-separated-values")
                )
            elif request["format"] == "RDF":
                assert content_type.startswith(
                    (
                        "text/turtle",
                        "application/rdf+xml",
                        "application/n-triples",
                        "application/ld+json",
                    )
                )
            if request["boolean"] is not None:
                assert r.json()["boolean"] == bool(request["boolean"].toPython())
