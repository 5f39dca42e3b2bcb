"""Web conventions of the static release and of the generated hosting rules: gzip copies of the
dumps (and their DCAT), robots.txt, sitemap.xml, the 404 page; and, in real nginx and Apache
servers running the generated rules, CORS, gzip, Content-Disposition, Cache-Control, FAIR
Signposting Link headers and the HTML 404.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox
import pytest
import web_servers

from ketamine_kg import formats
from ketamine_kg.config import BASE
from ketamine_kg.exports.metadata import MEDIA_TYPES, distribution_names
from ketamine_kg.hosting import CORS, CURRENT, VERSIONED
from ketamine_kg.iri_space import PREFIX
from ketamine_kg.release.directory import ReleaseDir, is_dump
from ketamine_kg.site.apache_host import DUMP_FILE
from ketamine_kg.site.crawl import SITEMAP_NS, page_iri
from ketamine_kg.site.hosting_headers import (
    DOWNLOAD_FILE,
    Published,
    attachment,
    is_attachment,
    link_header,
    thing_links,
)

version, nginx_url, apache = web_servers.version, web_servers.nginx_url, web_servers.apache
GZIP_IRI = MEDIA_TYPES + "application/gzip"
DUMP = "ketamine-kg.ttl"
THING_PAGE = "id/drug/ketamine.html"
THING_DOCUMENT = "id/drug/ketamine.jsonld"


def listed(release_dir: Path) -> set[str]:
    """The files SHA256SUMS lists."""
    lines = (release_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {line.split("  ", 1)[1] for line in lines}


def metadata(release_dir: Path) -> dict[str, dict[str, str]]:
    """Each distribution's DCAT properties (one value each), by file name."""
    found: dict[str, dict[str, str]] = {}
    for t in ReleaseDir(release_dir).metadata():
        if isinstance(t.subject, ox.NamedNode) and "/release/" in t.subject.value:
            name = t.subject.value.split("/release/", 1)[1].split("/", 1)[-1]
            found.setdefault(name, {})[t.predicate.value.rsplit("#", 1)[-1]] = t.object.value
    return found


# --- the release's files ---------------------------------------------------------------------


def test_every_dump_has_a_gzip_copy_that_decompresses_to_it(release_dir: Path) -> None:
    files = listed(release_dir)
    dumps = sorted(n for n in files if is_dump(n))
    assert {DUMP, "ketamine-kg.nq", "kgx/ketamine-kg_edges.tsv"} <= set(dumps)
    assert sorted(n for n in files if n.endswith(".gz")) == sorted(d + ".gz" for d in dumps)
    for dump in dumps:
        packed = (release_dir / f"{dump}.gz").read_bytes()
        assert gzip.decompress(packed) == (release_dir / dump).read_bytes(), dump
        # RFC 1952: no FNAME flag (byte 3), MTIME (bytes 4-7) zero: the bytes are the content's
        assert packed[:2] == b"\x1f\x8b" and packed[3] == 0 and packed[4:8] == bytes(4), dump


def test_dcat_lists_each_gzip_copy_with_its_true_size(release_dir: Path) -> None:
    described = metadata(release_dir)
    copies = sorted(n for n in listed(release_dir) if n.endswith(".gz"))
    assert copies and set(copies) <= set(distribution_names(dict.fromkeys(listed(release_dir))))
    for name in copies:
        d = described[name]
        content = formats.for_file(name.removesuffix(".gz"))
        assert d["compressFormat"] == GZIP_IRI, name
        assert d["mediaType"] == MEDIA_TYPES + content.media_type, name
        assert int(d["byteSize"]) == (release_dir / name).stat().st_size, name
    assert "compressFormat" not in described[DUMP]


def test_sitemap_lists_every_page_and_only_pages(release_dir: Path) -> None:
    """sitemaps.org: <urlset> of <url> with <loc> (12 to 2,048 characters) and <lastmod>, the
    release date of the metadata; every HTML page but the 404 page, in path order."""
    root = ET.fromstring((release_dir / "sitemap.xml").read_bytes())
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    issued = next(
        t.object.value
        for t in ReleaseDir(release_dir).metadata()
        if t.subject.value == f"{BASE}release/{_version(release_dir)}"
        and t.predicate.value == "http://purl.org/dc/terms/issued"
    )
    locs = []
    for url in root:
        assert [child.tag.split("}")[1] for child in url] == ["loc", "lastmod"]
        loc, lastmod = (child.text or "" for child in url)
        assert 12 <= len(loc) <= 2048 and lastmod == issued
        locs.append(loc)
    pages = sorted(p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*.html"))
    assert "404.html" in pages and len(pages) > 250
    assert locs == [page_iri(p) for p in pages if p != "404.html"]
    assert BASE in locs and all(urlsplit(loc).path.startswith(PREFIX) for loc in locs)


def _version(release_dir: Path) -> str:
    return Published.of(ReleaseDir(release_dir).metadata()).version


def test_robots_allows_all_and_names_the_sitemap(release_dir: Path) -> None:
    text = (release_dir / "robots.txt").read_text(encoding="utf-8")
    assert text.splitlines() == ["User-agent: *", "Allow: /", "", f"Sitemap: {BASE}sitemap.xml"]


def test_not_found_page_links_from_the_iri_base_path(release_dir: Path) -> None:
    """Served at any missing path, its links start at /ketamine-kg/ and name release files."""
    html = (release_dir / "404.html").read_text(encoding="utf-8")
    links = re.findall(r'(?:href|src)="([^"]+)"', html)
    local = [link for link in links if not urlsplit(link).scheme]
    assert local and all(link.startswith(PREFIX) for link in local)
    assert all((release_dir / link.removeprefix(PREFIX)).is_file() for link in local)
    assert '<meta name="robots" content="noindex" />' in html and "<h1>Not found</h1>" in html


def test_the_rules_classify_files_as_the_server_does(release_dir: Path) -> None:
    """The downloads regex picks the release's DCAT distributions; a thing's link template,
    filled in, is signposting.py's header for each of its documents."""
    published = Published.of(ReleaseDir(release_dir).metadata())
    files = listed(release_dir)
    found = {n for n in files if re.fullmatch(DOWNLOAD_FILE, n)}
    assert found == published.facts.distributions
    for ext in ("html", "ttl", "jsonld", "nt", "rdf"):
        for thing in ("id/drug/ketamine", "vocab/use-status/approved"):
            want = link_header(f"{thing}.{ext}", published)
            assert want and thing_links(ext, "$t", published).replace("$t", thing) == want


def test_the_apache_dump_pattern_is_is_dump(release_dir: Path) -> None:
    """The static .htaccess picks the dumps to gzip by a regex: the same files as is_dump."""
    for name in listed(release_dir):
        assert bool(re.fullmatch(DUMP_FILE, name)) == is_dump(name), name


# --- real servers ------------------------------------------------------------------------------


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[httpx.Response, bytes]:
    """One request, no redirects followed; the body as sent (not decoded)."""
    with httpx.Client(timeout=30) as client:
        client.headers.clear()
        with client.stream(method, url, headers=headers, follow_redirects=False) as r:
            return r, b"".join(r.iter_raw())


@pytest.fixture(scope="module")
def published(release_dir: Path) -> Published:
    return Published.of(ReleaseDir(release_dir).metadata())


@pytest.fixture(scope="module")
def hosts(nginx_url: str, apache: tuple[str, str]) -> dict[str, str]:
    """Where each static host serves the release directory's files."""
    return {"nginx": nginx_url + PREFIX, "apache": apache[1]}


FILES = [DUMP, f"{DUMP}.gz", "kgx/ketamine-kg_nodes.tsv", "context.jsonld", "index.html"]
FILES += [THING_PAGE, THING_DOCUMENT, "sitemap.xml", "queries/approved-conditions.rq"]


@pytest.mark.server
@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("host", ["nginx", "apache"])
def test_files_carry_the_headers_of_the_table(
    host: str, name: str, hosts: dict[str, str], published: Published, release_dir: Path
) -> None:
    """CORS on all but HTML pages, Content-Disposition on downloads but the context,
    Cache-Control, the Link header of the table; the bytes of the file."""
    r, body = fetch(hosts[host] + name)
    assert r.status_code == 200 and body == (release_dir / name).read_bytes()
    page = name.endswith(".html")
    assert r.headers.get("access-control-allow-origin") == (None if page else "*")
    if not page:
        assert all(r.headers.get(k) == v for k, v in CORS.items())
    want = attachment(name) if is_attachment(name) else None
    assert r.headers.get("content-disposition") == want
    assert is_attachment(name) == (name.startswith(("ketamine-kg", "kgx/")))
    assert r.headers.get("cache-control") == CURRENT
    assert r.headers.get("link") == link_header(name, published)
    assert r.headers["content-type"].split(";")[0] == formats.for_file(name).media_type


@pytest.mark.server
def test_files_under_a_version_iri_are_cached_for_a_week(nginx_url: str, version: str) -> None:
    """As the server: a week under release/<version>/, an hour at the current path."""
    r, _ = fetch(f"{nginx_url}{PREFIX}release/{version}/{DUMP}")
    assert r.status_code == 200 and r.headers["cache-control"] == VERSIONED
    assert r.headers["content-disposition"] == f'attachment; filename="{DUMP}"'


@pytest.mark.server
def test_link_headers_of_a_thing_the_landing_page_and_a_dump(
    nginx_url: str, live_server: str, published: Published
) -> None:
    """FAIR Signposting as a client reads it, and as the server sends it."""
    thing = BASE + "id/drug/ketamine"
    links = httpx.get(nginx_url + PREFIX + THING_PAGE).links
    assert links["cite-as"]["url"] == thing and links["collection"]["url"] == BASE
    assert links["type"]["url"] == "https://schema.org/AboutPage"
    assert links["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert links["describedby"]["url"].startswith(thing + ".")
    landing = httpx.get(nginx_url + PREFIX, headers={"Accept": "text/html"})
    items = re.findall(r'<([^>]+)>; rel="item"; type="([^"]+)"', landing.headers["link"])
    assert (f"{BASE}release/{published.version}/{DUMP}", "text/turtle") in items
    assert 'rel="cite-as"' in landing.headers["link"] and len(items) >= 4
    assert httpx.get(nginx_url + PREFIX + DUMP).links["collection"]["url"] == BASE
    for path in (THING_PAGE, THING_DOCUMENT, DUMP, "index.html", "ontology.ttl"):
        ours = httpx.get(nginx_url + PREFIX + path).headers.get("link")
        assert ours == httpx.get(live_server + PREFIX + path).headers.get("link"), path


@pytest.mark.server
@pytest.mark.parametrize("host", ["nginx", "apache"])
@pytest.mark.parametrize("name", [DUMP, "kgx/ketamine-kg_edges.tsv"])
def test_a_dump_goes_gzipped_to_clients_that_accept_gzip(
    host: str, name: str, hosts: dict[str, str], release_dir: Path
) -> None:
    plain = (release_dir / name).read_bytes()
    r, body = fetch(hosts[host] + name, **{"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].split(";")[0] == formats.for_file(name).media_type
    assert body == (release_dir / f"{name}.gz").read_bytes() and gzip.decompress(body) == plain
    assert "Accept-Encoding" in r.headers["vary"]
    r, body = fetch(hosts[host] + name)
    assert "content-encoding" not in r.headers and body == plain
    r, body = fetch(hosts[host] + f"{name}.gz", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers and r.headers["content-type"] == "application/gzip"


@pytest.mark.server
@pytest.mark.parametrize("host", ["nginx", "apache"])
def test_a_missing_file_is_the_html_404_page(
    host: str, hosts: dict[str, str], release_dir: Path
) -> None:
    r, body = fetch(hosts[host] + "no-such-page.html", Accept="text/html")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert body == (release_dir / "404.html").read_bytes()


@pytest.mark.server
def test_a_missing_thing_is_the_html_404_page_for_a_browser(
    nginx_url: str, release_dir: Path
) -> None:
    """nginx: the 404 page when HTML is negotiated, the text answer for RDF; both vary by Accept."""
    url = nginx_url + PREFIX + "id/drug/no-such-drug"
    r, body = fetch(url, Accept="text/html")
    assert r.status_code == 404 and body == (release_dir / "404.html").read_bytes()
    assert r.headers["vary"] == "Accept"
    r, body = fetch(url, Accept="text/turtle")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert b"no resource" in body and r.headers["vary"] == "Accept"


@pytest.mark.server
def test_nginx_serves_robots_at_the_host_root_and_the_sitemap(
    nginx_url: str, release_dir: Path
) -> None:
    for path, name in [("/robots.txt", "robots.txt"), (PREFIX + "sitemap.xml", "sitemap.xml")]:
        r, body = fetch(nginx_url + path)
        assert r.status_code == 200 and body == (release_dir / name).read_bytes()


@pytest.mark.server
def test_redirects_carry_cors_and_cache_control(nginx_url: str, apache: tuple[str, str]) -> None:
    """A page on another site can follow a thing's IRI to its RDF: the 303 (nginx, w3id) and
    the w3id 302 to a file allow any origin; redirects may be cached."""
    apache_url, _ = apache
    for url, status in [
        (nginx_url + PREFIX + "id/drug/ketamine", 303),
        (apache_url + PREFIX + "id/drug/ketamine", 303),
        (apache_url + PREFIX + "context.jsonld", 302),
    ]:
        r, _ = fetch(url, Accept="text/turtle", Origin="https://example.org")
        assert r.status_code == status, url
        assert r.headers["access-control-allow-origin"] == "*", url
        assert r.headers["cache-control"] == CURRENT, url


@pytest.mark.server
def test_preflight_is_answered_everywhere(
    nginx_url: str, apache: tuple[str, str], hosts: dict[str, str]
) -> None:
    apache_url, _ = apache
    for url in [
        nginx_url + PREFIX + "context.jsonld",
        apache_url + PREFIX + "id/drug/ketamine",
        hosts["apache"] + "context.jsonld",
    ]:
        r, _ = fetch(url, "OPTIONS", Origin="https://example.org")
        assert r.status_code == 204, url
        assert r.headers["access-control-allow-origin"] == "*", url
        assert r.headers["access-control-max-age"] == "86400", url
