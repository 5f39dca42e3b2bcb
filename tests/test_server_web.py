"""Web conventions of `ketamine-kg serve`, through a real server process: FAIR Signposting
links, Content-Disposition, Cache-Control, Last-Modified/ETag and 304, gzip, 404 pages for
browsers and for everything else, and the access log."""

from __future__ import annotations

import gzip
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pyoxigraph as ox
import pytest
from conftest import LiveServer
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from ketamine_kg.serve.caching import http_date
from ketamine_kg.serve.compression import MINIMUM_SIZE, Compression

pytestmark = pytest.mark.server
BASE = "https://w3id.org/ketamine-kg/"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 200"
#: Combined Log Format: host ident user [time] "request" status bytes "referer" "agent".
QUOTED = r'"((?:[^"\\]|\\.)*)"'
CLF = re.compile(
    rf"^(\S+) - - \[\d\d/[A-Z][a-z]{{2}}/\d{{4}}:\d\d:\d\d:\d\d \+0000\] {QUOTED} (\d{{3}}) (\d+|-) "
    rf"{QUOTED} {QUOTED}$"
)


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def metadata(release_dir: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(release_dir / "index.nt")))


@pytest.fixture(scope="module")
def release(metadata: list[ox.Triple]) -> str:
    """The release IRI (…/release/<version>)."""
    return next(
        t.subject.value for t in metadata if t.predicate.value == "http://purl.org/pav/version"
    )


def links(response: httpx.Response) -> set[tuple[str, str, str | None]]:
    """The Link header as (target, rel, type) triples."""
    found = set()
    for match in re.finditer(r'<([^>]*)>((?:\s*;\s*[a-z-]+="[^"]*")*)', response.headers["link"]):
        params = dict(re.findall(r'([a-z-]+)="([^"]*)"', match[2]))
        found.add((match[1], params["rel"], params.get("type")))
    return found


def objects(metadata: list[ox.Triple], subject: str, predicate: str) -> set[str]:
    return {
        t.object.value
        for t in metadata
        if t.subject.value == subject and t.predicate.value == predicate
    }


# FAIR Signposting (https://signposting.org/FAIR/, Level 1)


def test_the_landing_page_signposts_the_dataset(client, metadata, release) -> None:
    r = client.get("/ketamine-kg/", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-location"] == "/ketamine-kg/index.html"
    [licence] = objects(metadata, BASE, DCTERMS + "license")
    dumps = objects(metadata, release, VOID + "dataDump")
    media = {d: next(iter(objects(metadata, d, DCTERMS + "format"))) for d in dumps}
    assert len(dumps) == 4
    assert links(r) == {
        (BASE, "cite-as", None),
        *((f"{BASE}index.{ext}", "describedby", media) for ext, media in RDF_TYPES.items()),
        ("https://schema.org/Dataset", "type", None),
        ("https://schema.org/AboutPage", "type", None),
        (licence, "license", None),
        *((dump, "item", media[dump]) for dump in dumps),
    }


def test_a_thing_page_signposts_its_iri_and_documents(client, metadata) -> None:
    thing = "id/condition/ptsd"
    [licence] = objects(metadata, BASE, DCTERMS + "license")
    r = client.get(f"/ketamine-kg/{thing}", headers={"Accept": BROWSER}, follow_redirects=True)
    assert r.url.path == f"/ketamine-kg/{thing}.html"
    assert links(r) == {
        (BASE + thing, "cite-as", None),
        *((f"{BASE}{thing}.{ext}", "describedby", media) for ext, media in RDF_TYPES.items()),
        ("https://schema.org/AboutPage", "type", None),
        (licence, "license", None),
        (BASE, "collection", "text/html"),
    }
    for ext in RDF_TYPES:  # each described-by target is served, with that media type
        document = client.get(f"/ketamine-kg/{thing}.{ext}")
        assert document.headers["content-type"].split(";")[0] == RDF_TYPES[ext]
        assert links(document) == {(f"{BASE}{thing}.html", "describes", "text/html")}


def test_downloads_signpost_their_collection(client, release) -> None:
    version = release.removeprefix(BASE + "release/")
    for path in [
        "/downloads/ketamine-kg.nq",
        f"/ketamine-kg/release/{version}/kgx/ketamine-kg_edges.tsv",
    ]:
        r = client.head(path)
        assert r.status_code == 200 and links(r) == {(BASE, "collection", "text/html")}, path


def test_other_responses_carry_no_signposts(client) -> None:
    for path in ["/ketamine-kg/style.css", "/ketamine-kg/ontology/Drug.html", "/sparql"]:
        assert "link" not in client.get(path).headers, path


# Content-Disposition


def test_downloads_are_attachments_and_pages_are_not(client, release) -> None:
    version = release.removeprefix(BASE + "release/")
    for path, name in [
        ("/downloads/ketamine-kg.ttl", "ketamine-kg.ttl"),
        ("/downloads/kgx/ketamine-kg_nodes.tsv", "ketamine-kg_nodes.tsv"),
        (f"/ketamine-kg/release/{version}/ketamine-kg.nq", "ketamine-kg.nq"),
        ("/ketamine-kg/ketamine-kg.jsonld", "ketamine-kg.jsonld"),
    ]:
        assert client.head(path).headers["content-disposition"] == f'attachment; filename="{name}"'
    for path in [
        "/ketamine-kg/id/drug/ketamine.html",
        "/ketamine-kg/id/drug/ketamine.ttl",
        "/ketamine-kg/index.html",
        "/ketamine-kg/context.jsonld",  # a distribution, loaded by JSON-LD processors
        "/downloads/index.html",
        "/downloads/",
    ]:
        assert "content-disposition" not in client.head(path).headers, path


# Cache-Control, Last-Modified, ETag, 304


def test_cache_lifetimes(client, release) -> None:
    version = release.removeprefix(BASE + "release/")
    lifetimes = {
        f"/ketamine-kg/release/{version}/ketamine-kg.nq": "public, max-age=604800",
        "/ui/ui.css": "public, max-age=86400",
        "/ketamine-kg/ketamine-kg.nq": "public, max-age=3600",
        "/ketamine-kg/id/drug/ketamine.ttl": "public, max-age=3600",
        "/ketamine-kg/id/drug/ketamine": "public, max-age=3600",  # the 303
        "/ketamine-kg/": "public, max-age=3600",
        "/downloads/ketamine-kg.nq": "public, max-age=3600",
        "/sparql?query=ASK%7B%7D": "public, max-age=3600",
    }
    for path, lifetime in lifetimes.items():
        assert client.get(path, follow_redirects=False).headers["cache-control"] == lifetime, path


def test_last_modified_is_the_release_date(client, metadata, release) -> None:
    [issued] = objects(metadata, release, DCTERMS + "issued")
    date = http_date(issued)
    assert date.endswith(" 00:00:00 GMT")
    for path in [
        "/downloads/ketamine-kg.nq",
        "/ketamine-kg/id/drug/ketamine.html",
        "/sparql?query=ASK%7B%7D",
    ]:
        assert client.get(path).headers["last-modified"] == date, path


@pytest.mark.parametrize(
    "path", ["/ketamine-kg/index.ttl", "/downloads/ketamine-kg.nq", "/sparql?query=ASK%7B%7D"]
)
def test_if_modified_since_answers_304(client, path: str) -> None:
    first = client.get(path)
    modified = first.headers["last-modified"]
    again = client.get(path, headers={"If-Modified-Since": modified})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"].removeprefix("W/") == first.headers["etag"].removeprefix("W/")
    assert again.headers["cache-control"] == first.headers["cache-control"]
    earlier = client.get(path, headers={"If-Modified-Since": "Thu, 01 Jan 2004 00:00:00 GMT"})
    assert earlier.status_code == 200 and earlier.content == first.content
    # If-None-Match decides when both are sent (RFC 9110, 13.2.2)
    other = client.get(path, headers={"If-Modified-Since": modified, "If-None-Match": '"other"'})
    assert other.status_code == 200


def test_etags_are_the_content_and_weak_tags_match(client, release_dir: Path) -> None:
    import hashlib

    digest = hashlib.sha256((release_dir / "ketamine-kg.ttl").read_bytes()).hexdigest()
    identity = client.get("/downloads/ketamine-kg.ttl", headers={"Accept-Encoding": "identity"})
    assert identity.headers["etag"] == f'"{digest}"'
    compressed = client.get("/downloads/ketamine-kg.ttl", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["etag"] == f'W/"{digest}"'  # not the identity bytes
    for tag in [f'"{digest}"', f'W/"{digest}"', f'"x", W/"{digest}"', "*"]:
        r = client.get("/downloads/ketamine-kg.ttl", headers={"If-None-Match": tag})
        assert r.status_code == 304, tag


# gzip


def raw(
    client: httpx.Client, path: str, encoding: str, headers: dict | None = None
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decoded by httpx)."""
    headers = {**(headers or {}), "Accept-Encoding": encoding}
    with client.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize(
    "path",
    [
        "/ketamine-kg/ketamine-kg.nq",  # streamed from the file in chunks
        "/ketamine-kg/id/drug/ketamine.html",
        "/ketamine-kg/id/drug/ketamine.jsonld",
        "/ketamine-kg/model.svg",
    ],
)
def test_gzip_round_trip_of_release_files(client, release_dir: Path, path: str) -> None:
    r, body = raw(client, path, "gzip")
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (release_dir / path.removeprefix("/ketamine-kg/")).read_bytes()
    assert len(body) < len(gzip.decompress(body)) / 2
    assert "Accept-Encoding" in r.headers["vary"]
    plain, plain_body = raw(client, path, "identity")
    assert "content-encoding" not in plain.headers and "Accept-Encoding" in plain.headers["vary"]
    assert plain_body == gzip.decompress(body)


def raw_sparql(client: httpx.Client, accept: str, encoding: str) -> tuple[httpx.Response, bytes]:
    headers = {"Accept": accept, "Accept-Encoding": encoding}
    with client.stream("GET", "/sparql", params={"query": SELECT}, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]
)
def test_a_sparql_answer_decompresses_to_the_same_bytes(client, accept: str) -> None:
    compressed, body = raw_sparql(client, accept, "gzip")
    plain, plain_body = raw_sparql(client, accept, "identity")
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert int(compressed.headers["content-length"]) == len(body) < len(plain_body)
    assert gzip.decompress(body) == plain_body and len(plain_body) > MINIMUM_SIZE


def test_small_and_binary_bodies_are_not_compressed(client) -> None:
    small, body = raw(client, "/sparql?query=ASK%7B%7D", "gzip")
    assert len(body) < MINIMUM_SIZE and "content-encoding" not in small.headers
    refused, _ = raw(client, "/ketamine-kg/ketamine-kg.nq", "gzip;q=0, identity")
    assert "content-encoding" not in refused.headers
    head = client.head("/ketamine-kg/ketamine-kg.nq", headers={"Accept-Encoding": "gzip"})
    assert head.headers["content-encoding"] == "gzip" and "content-length" not in head.headers


def test_an_encoded_response_is_never_compressed_again() -> None:
    """The middleware leaves a response that has a Content-Encoding as it is."""
    data = gzip.compress(b"<a> <b> <c> .\n" * 500)

    def encoded(request) -> Response:
        return Response(
            data, media_type="application/n-triples", headers={"Content-Encoding": "gzip"}
        )

    app = Compression(Starlette(routes=[Route("/", encoded)]))

    async def fetch() -> tuple[httpx.Response, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as test,
            test.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as r,
        ):
            return r, b"".join([chunk async for chunk in r.aiter_raw()])

    r, body = anyio.run(fetch)
    assert body == data and r.headers["content-encoding"] == "gzip"


# 404 pages


def test_a_browser_gets_an_html_404_and_curl_plain_text(client, release_dir: Path) -> None:
    for path in [
        "/ketamine-kg/id/drug/no-such-drug.html",
        "/downloads/no-such-file",
        "/no-such-route",
    ]:
        page = client.get(path, headers={"Accept": BROWSER})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in page.text and "Accept" in page.headers["vary"]
        for accept in ["*/*", "text/plain", "text/turtle, */*;q=0.1", None]:
            headers = {"Accept": accept} if accept else {}
            text = client.get(path, headers=headers)
            assert text.status_code == 404 and text.headers["content-type"].startswith("text/plain")
            assert "<!DOCTYPE" not in text.text and "Accept" in text.headers["vary"], accept
    # The release has its own 404 page (site/crawl.py): a browser gets it.
    page = client.get("/downloads/no-such-file", headers={"Accept": BROWSER})
    assert page.content == (release_dir / "404.html").read_bytes()


@pytest.fixture(scope="module")
def logged_release(
    release_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    """A copy of the release with a 404.html of its own, served with `--access-log FILE`."""
    import hashlib

    copy = tmp_path_factory.mktemp("web") / "out"
    shutil.copytree(release_dir, copy)
    page = b"<!DOCTYPE html><title>Lost</title><p>The release's own 404 page.</p>\n"
    (copy / "404.html").write_bytes(page)
    with (copy / "SHA256SUMS").open("a") as sums:
        sums.write(f"{hashlib.sha256(page).hexdigest()}  404.html\n")
    log = copy.parent / "access.log"
    server = LiveServer(copy, "--workers", "1", "--access-log", str(log))
    yield server, log
    server.stop()


def test_the_release_404_page_is_served_to_browsers(logged_release) -> None:
    server, _ = logged_release
    page = httpx.get(server.url + "/ketamine-kg/nothing/here", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.text.endswith("The release's own 404 page.</p>\n")
    assert httpx.get(server.url + "/ketamine-kg/nothing/here").text.startswith("Not Found")


# The access log


def test_the_access_log_has_a_combined_format_line_per_request(logged_release) -> None:
    server, log = logged_release
    headers = {"User-Agent": 'probe "quoted"', "Referer": "https://example.org/"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        _, compressed = raw(client, "/ketamine-kg/ketamine-kg.ttl?x=1", "gzip", headers=headers)
        missing = client.get("/no-such-route", headers={"User-Agent": "probe 2"})
    entries: dict[str, tuple] = {}
    deadline = time.monotonic() + 10  # a line is written just after its response has ended
    while "GET /no-such-route HTTP/1.1" not in entries and time.monotonic() < deadline:
        time.sleep(0.1)
        for entry in log.read_text().splitlines():
            match = CLF.match(entry)
            assert match, entry
            entries[match[2]] = match.groups()
    assert entries["GET /ketamine-kg/ketamine-kg.ttl?x=1 HTTP/1.1"] == (
        "127.0.0.1",
        "GET /ketamine-kg/ketamine-kg.ttl?x=1 HTTP/1.1",
        "200",
        str(len(compressed)),  # the bytes sent, compressed
        "https://example.org/",
        'probe \\"quoted\\"',
    )
    assert entries["GET /no-such-route HTTP/1.1"][2:4] == ("404", str(len(missing.content)))


def test_the_access_log_goes_to_stderr_only_when_asked(release_dir: Path) -> None:
    lines = {}
    for option in [(), ("--access-log",)]:
        server = LiveServer(release_dir, "--workers", "1", *option)
        httpx.get(server.url + "/ketamine-kg/id/drug/ketamine.ttl")
        server.stop()
        lines[option] = [
            line for line in server.process.stderr.read().decode().splitlines() if CLF.match(line)
        ]
    assert lines[()] == []
    assert any(
        '"GET /ketamine-kg/id/drug/ketamine.ttl HTTP/1.1" 200' in line
        for line in lines[("--access-log",)]
    )


def test_an_access_log_that_cannot_be_opened_is_a_usage_error(
    release_dir: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    log = tmp_path / "no-such-folder" / "access.log"
    command = [sys.executable, "-m", "ketamine_kg.cli", "--project", str(ROOT), "serve"]
    done = subprocess.run(
        [*command, str(release_dir), "--access-log", str(log)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and f"cannot open {log}" in done.stderr
    assert "Traceback" not in done.stderr
