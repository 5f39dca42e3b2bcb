"""A large release writes each thing's RDF in Turtle only; `serve` makes the other formats.

The real project is built as if it were above `site.ALL_FORMATS_UP_TO` (the threshold set to
0): it must hold every file of the normal release, byte for byte, but the things' JSON-LD,
N-Triples and RDF/XML; a real server on it must answer those, directly and by content
negotiation, with the bytes the normal release holds.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import web_servers
from conftest import LiveServer, free_port

from ketamine_kg import site
from ketamine_kg.build.pipeline import build
from ketamine_kg.config import Project
from ketamine_kg.formats import RDF_DOCUMENT_FORMATS, TURTLE
from ketamine_kg.iri_space import PREFIX, THING_PREFIXES
from ketamine_kg.release.directory import CHECKSUMS, ReleaseDir
from ketamine_kg.serve.derived import DERIVED
from ketamine_kg.site import redirects
from ketamine_kg.site.apache_host import static_htaccess
from ketamine_kg.site.hosting_headers import Published

DERIVED_EXTENSIONS = tuple(f".{ext}" for ext in DERIVED)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _is_derived(name: str) -> bool:
    return name.startswith(THING_PREFIXES) and name.endswith(DERIVED_EXTENSIONS)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, project: Project) -> Path:
    """The real project built as a large release."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(site, "ALL_FORMATS_UP_TO", 0)
        result = build(project, out_dir=tmp_path_factory.mktemp("large") / "out")
    assert result.out_dir is not None
    return result.out_dir


@pytest.fixture(scope="module")
def server(large: Path) -> Iterator[str]:
    live = LiveServer(large, "--workers", "1")
    yield live.url
    live.stop()


@pytest.fixture(scope="module")
def nginx(large: Path, server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx with the generated rules on the large release, asking `server` for what is not
    on disk."""
    published = Published.of(ReleaseDir(large).metadata())
    port = free_port()
    rules = redirects.nginx(
        published.version,
        root=str(large),
        listen=f"127.0.0.1:{port}",
        release=published,
        serve_url=server,
    )
    front = web_servers.start_nginx(tmp_path_factory.mktemp("nginx"), rules, port)
    yield f"http://127.0.0.1:{port}"
    front.stop()


@pytest.fixture(scope="module")
def apache(large: Path, server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Apache with the generated static-host .htaccess on the large release (at
    /site/ketamine-kg/), asking `server` for what is not on disk."""
    www = Path(tempfile.mkdtemp(prefix="ketamine-kg-apache-"))  # nobody may walk to it
    shutil.copytree(large, www / "site")
    (www / "w3id").mkdir()
    published = Published.of(ReleaseDir(large).metadata())
    rules = static_htaccess(published, f"/site{PREFIX}", serve_url=server)
    (www / "site" / ".htaccess").write_text(rules)
    port = free_port()
    modules = [*web_servers.APACHE_STATIC, "proxy", "proxy_http"]
    front = web_servers.start_apache(tmp_path_factory.mktemp("apache"), www, port, modules)
    yield f"http://127.0.0.1:{port}/site"
    front.stop()
    shutil.rmtree(www)


def test_the_threshold_picks_the_formats() -> None:
    assert site.document_formats(site.ALL_FORMATS_UP_TO) == RDF_DOCUMENT_FORMATS
    assert site.document_formats(site.ALL_FORMATS_UP_TO + 1) == (TURTLE,)


def test_a_large_release_is_the_normal_one_without_the_derived_documents(
    large: Path, release_dir: Path
) -> None:
    normal, small = _files(release_dir), _files(large)
    left_out = sorted(set(normal) - set(small))
    assert left_out and all(_is_derived(name) for name in left_out)
    assert not set(small) - set(normal)
    assert len(left_out) == 3 * sum(
        1 for name in small if name.startswith(THING_PREFIXES) and name.endswith(".ttl")
    )
    differing = [n for n in small if n != CHECKSUMS and small[n] != normal[n]]
    assert not differing, differing[:5]
    listed = {line.split("  ", 1)[1] for line in small[CHECKSUMS].decode().splitlines()}
    assert listed == set(small) - {CHECKSUMS}


def test_the_server_makes_each_left_out_document_byte_for_byte(
    server: str, large: Path, release_dir: Path
) -> None:
    left_out = sorted(set(_files(release_dir)) - set(_files(large)))
    with httpx.Client(base_url=server, timeout=30) as client:
        for name in left_out:
            expected = (release_dir / name).read_bytes()
            answer = client.get(PREFIX + name, headers={"Accept-Encoding": "identity"})
            assert answer.status_code == 200, name
            assert answer.content == expected, name
            media = DERIVED[name.rsplit(".", 1)[1]].media_type
            assert answer.headers["content-type"].split(";")[0] == media
            assert answer.headers["etag"] == f'"{hashlib.sha256(expected).hexdigest()}"'


def test_negotiation_and_validators_reach_a_made_document(server: str, release_dir: Path) -> None:
    thing = "id/drug/ketamine"
    with httpx.Client(base_url=server, timeout=30) as client:
        seen = client.get(PREFIX + thing, headers={"Accept": "application/n-triples"})
        assert seen.status_code == 303 and seen.headers["location"] == f"{PREFIX}{thing}.nt"
        document = client.get(seen.headers["location"])
        assert document.content == (release_dir / f"{thing}.nt").read_bytes()
        again = client.get(
            f"{PREFIX}{thing}.nt", headers={"If-None-Match": document.headers["etag"]}
        )
        assert again.status_code == 304


def test_a_document_of_nothing_is_still_not_found(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        for name in ("id/drug/no-such-drug.jsonld", "id/drug/ketamine.owl", "index.xyz"):
            assert client.get(PREFIX + name).status_code == 404, name


@pytest.mark.parametrize("front", ["nginx", "apache"])
def test_a_static_host_asks_serve_for_what_a_large_release_leaves_out(
    front: str, request: pytest.FixtureRequest, large: Path, release_dir: Path
) -> None:
    """Through the generated nginx rules and Apache .htaccess: every left-out document, byte
    for byte, with the media type and the front's headers once (serve's own replaced)."""
    left_out = sorted(set(_files(release_dir)) - set(_files(large)))
    with httpx.Client(base_url=request.getfixturevalue(front), timeout=30) as client:
        for name in left_out:
            answer = client.get(PREFIX + name, headers={"Accept-Encoding": "identity"})
            assert answer.status_code == 200, name
            assert answer.content == (release_dir / name).read_bytes(), name
            media = DERIVED[name.rsplit(".", 1)[1]].media_type
            assert answer.headers["content-type"].split(";")[0] == media
            for header in ("link", "access-control-allow-origin", "cache-control"):
                assert len(answer.headers.get_list(header)) == 1, (name, header)
            assert "etag" in answer.headers  # serve's validator passes through
        on_disk = client.get(f"{PREFIX}id/drug/ketamine.ttl")
        assert on_disk.content == (large / "id/drug/ketamine.ttl").read_bytes()
        assert client.get(f"{PREFIX}id/drug/no-such-drug.nt").status_code == 404


def test_nginx_negotiates_to_a_made_document(nginx: str, large: Path, release_dir: Path) -> None:
    """nginx serves Turtle from disk itself, and a negotiated syntax from serve."""
    with httpx.Client(base_url=nginx, timeout=30) as client:
        on_disk = client.get(f"{PREFIX}id/drug/ketamine.ttl")
        assert on_disk.content == (large / "id/drug/ketamine.ttl").read_bytes()
        assert 'W/"' not in on_disk.headers["etag"] and "-" in on_disk.headers["etag"]  # nginx's
        seen = client.get(f"{PREFIX}id/drug/ketamine", headers={"Accept": "application/rdf+xml"})
        assert seen.status_code == 303
        made = client.get(seen.headers["location"])
        assert made.content == (release_dir / "id/drug/ketamine.rdf").read_bytes()


def test_without_a_serve_url_the_rules_do_not_proxy() -> None:
    url = "http://127.0.0.1:8000/"
    assert "proxy_pass" not in redirects.nginx("1.0")
    assert "proxy_pass http://127.0.0.1:8000;" in redirects.nginx("1.0", serve_url=url)
    assert "KKG_MADE" not in static_htaccess(Published("1.0"))
    assert f"{url.rstrip('/')}{PREFIX}$1 [P," in static_htaccess(Published("1.0"), serve_url=url)
