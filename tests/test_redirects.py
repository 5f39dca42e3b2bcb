"""The static-hosting rules (redirects.py): generated from the routing table, and answering the
Accept matrix like `ketamine-kg serve` when run by real nginx and Apache (mod_rewrite) servers.

nginx serves the release directory with the generated server block; Apache runs the generated
w3id `.htaccess` in a folder `ketamine-kg/` and redirects to a second folder of the same server
that holds a copy of the release (the static host). Missing binaries skip these tests, unless
KETAMINE_KG_REQUIRE_SERVERS=1 (CI), which makes them fail.
"""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import httpx
import pytest
import web_servers
from accept_matrix import ACCEPT_MATRIX, UNACCEPTABLE

from ketamine_kg import conneg
from ketamine_kg import iri_space as routes
from ketamine_kg.cli import main
from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.site import redirects
from ketamine_kg.site.apache_host import static_htaccess
from ketamine_kg.site.hosting_headers import Published

PREFIX = redirects.PREFIX
#: The servers running the generated rules (fixtures).
version, nginx_url, apache = web_servers.version, web_servers.nginx_url, web_servers.apache
RULES = [(re.compile(regex, re.IGNORECASE), ext) for regex, ext in redirects.accept_rules()]
#: q-values that share a tenth are where the rules may differ from the server (docs/hosting.md).
LIMIT = ("application/rdf+xml;q=0.95, text/turtle;q=0.9", "rdf", "ttl")


def rules_choose(accept: str | None) -> str | None:
    """The extension the generated rules choose, evaluated in Python (same regex dialect)."""
    if not accept or not accept.strip():
        return routes.negotiate(None)
    return next((ext for regex, ext in RULES if regex.match(accept)), None)


# --- the rules as data -------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "ext"), ACCEPT_MATRIX)
def test_rules_answer_the_matrix_like_the_server(accept: str | None, ext: str) -> None:
    assert rules_choose(accept) == routes.negotiate(accept) == ext


def test_rules_refuse_what_the_server_refuses() -> None:
    for accept in (UNACCEPTABLE, "text/turtle;q=0", "text/*;q=0, application/*;q=0"):
        assert rules_choose(accept) is routes.negotiate(accept) is None


def _server_q(accept: str, media: str) -> float:
    """The q the server gives an offered type: that of the most specific range matching it."""
    family = media.split("/")[0] + "/*"
    ranges = {m: q for m, q in reversed(conneg.parse_accept(accept))}
    return next((ranges[m] for m in (media, family, "*/*") if m in ranges), 0.0)


def test_rules_differ_from_the_server_only_between_q_values_of_the_same_tenth() -> None:
    """20,000 random headers: every disagreement is a tie at one decimal (the documented limit)."""
    ranges = [*routes.DOCUMENT_TYPES.values(), "application/json", "text/*", "application/*"]
    ranges += ["*/*", "image/png"]
    ranges += ["application/xml", "TEXT/Turtle", "application/xhtml+xml"]
    params = ["", ";q=1", ";q=0", ";q=0.5", ";q=0.55", ";q=0.9", ";q=0.95", ";q=0.05"]
    params += [";q=0.001", ";q=1.0", ";level=1", ";q=0.8;x=y", " ; Q = 0.3", ";q=0.000"]
    rng = random.Random(7)
    differ = 0
    for _ in range(20_000):
        k = rng.randint(1, 4)
        accept = ", ".join(rng.choice(ranges) + rng.choice(params) for _ in range(k))
        server, rules = routes.negotiate(accept), rules_choose(accept)
        if server != rules:
            differ += 1
            tenths = {
                min(int(max(_server_q(accept, m) for m in routes.accepted(e)) * 10), 10)
                for e in (server, rules)
            }
            assert None not in (server, rules) and len(tenths) == 1, accept
    assert 0 < differ < 200
    accept, server, rules = LIMIT
    assert routes.negotiate(accept) == server and rules_choose(accept) == rules


def test_rules_follow_the_routing_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to routes.py's tables changes the generated rules."""
    monkeypatch.setitem(routes.DOCUMENT_TYPES, "trig", "application/trig")
    monkeypatch.setitem(routes.DOCUMENTS, "context", "context")
    monkeypatch.setattr(routes, "THING_PATH", "(?:id/|graph/)[a-z0-9-]+")
    monkeypatch.setattr(routes, "RELEASE_PATH", "v/{version}")
    assert "trig" in {ext for _, ext in redirects.accept_rules()}
    conf = redirects.nginx("2.0")
    assert "location = /ketamine-kg/context {" in conf
    assert "(?<kkg_thing>(?:id/|graph/)[a-z0-9-]+)" in conf
    assert "location = /ketamine-kg/v/2.0/ontology {" in conf
    htaccess = redirects.htaccess("https://example.org/kkg", "2.0")
    assert "RewriteRule ^((?:id/|graph/)[a-z0-9-]+)$ https://example.org/kkg/$1." in htaccess
    assert "RewriteRule ^v/2\\.0/(.+)$ https://example.org/kkg/$1 [R=302,L]" in htaccess


def test_cli_prints_the_rules(capsys: pytest.CaptureFixture[str], release_dir: Path) -> None:
    version = redirects.release_version(ReleaseDir(release_dir))
    target = "https://example.org/ketamine-kg/"
    assert main(["redirects", "htaccess", "--target", target, str(release_dir)]) == 0
    out = capsys.readouterr().out
    assert out == redirects.htaccess(target, version) and f"release {version}" in out
    published = Published.of(ReleaseDir(release_dir).metadata())
    assert (
        main(["redirects", "nginx", "--version", "9.9", "--root", "/srv/x", str(release_dir)]) == 0
    )
    nine = dataclasses.replace(published, version="9.9")
    assert capsys.readouterr().out == redirects.nginx("9.9", root="/srv/x", release=nine)
    assert main(["redirects", "static-htaccess", "--path", "/k/", str(release_dir)]) == 0
    assert capsys.readouterr().out == static_htaccess(published, "/k/")
    with pytest.raises(SystemExit) as usage:
        main(["redirects", "htaccess", str(release_dir)])
    assert usage.value.code == 2 and "--target" in capsys.readouterr().err


# --- real servers (web_servers.py) -----------------------------------------------------------


def get(base: str, path: str, accept: str | None) -> httpx.Response:
    """GET without following redirects; accept None sends no Accept header at all."""
    with httpx.Client(timeout=30) as client:
        del client.headers["accept"]
        headers = {"Accept": accept} if accept is not None else {}
        return client.get(base + path, headers=headers, follow_redirects=False)


def media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def vary(response: httpx.Response) -> str | None:
    """The Vary header without Accept-Encoding: whether to compress is each host's own."""
    named = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    return ", ".join(v for v in named if v.lower() != "accept-encoding") or None


def answer(base: str, path: str, accept: str | None) -> dict[str, object]:
    """The parts of a response the three implementations must agree on."""
    r = get(base, PREFIX + path, accept)
    return {
        "status": r.status_code,
        "location": r.headers.get("location"),
        "content-location": r.headers.get("content-location"),
        "vary": vary(r),
        "type": media(r) if r.status_code in (200, 406) else None,
    }


def expected(path: str, accept: str | None, version: str) -> dict[str, object]:
    """The answer of the routing table for a release that has `path`."""
    route = routes.route(path, accept, version)
    vary = "Accept" if route.negotiated else None
    if route.status == 406:
        return {
            "status": 406,
            "location": None,
            "content-location": None,
            "vary": vary,
            "type": "text/plain",
        }
    if route.status == 303:
        return {
            "status": 303,
            "location": PREFIX + route.location,
            "content-location": None,
            "vary": vary,
            "type": None,
        }
    return {
        "status": 200,
        "location": None,
        "content-location": PREFIX + route.file if route.negotiated else None,
        "vary": vary,
        "type": route.media.split(";")[0],
    }


NEGOTIATED = ["id/drug/ketamine", "", "ontology", "shapes", "release/{v}", "release/{v}/ontology"]
MATRIX = [*ACCEPT_MATRIX, (UNACCEPTABLE, None)]


@pytest.mark.server
@pytest.mark.parametrize(("accept", "ext"), MATRIX)
@pytest.mark.parametrize("iri", NEGOTIATED)
def test_negotiated_iris_agree(
    iri: str,
    accept: str | None,
    ext: str | None,
    version: str,
    live_server: str,
    nginx_url: str,
    apache: tuple[str, str],
) -> None:
    """Thing, dataset, ontology, version IRIs, each with the Accept matrix: server = nginx = table;
    Apache (w3id) answers 303 to the same document on the static host."""
    path = iri.format(v=version)
    want = expected(path, accept, version)
    assert answer(live_server, path, accept) == want
    assert answer(nginx_url, path, accept) == want
    apache_url, target = apache
    w3id = get(apache_url, PREFIX + path, accept)
    assert w3id.headers.get("vary") == "Accept"
    if ext is None:
        assert want["status"] == w3id.status_code == 406
        return
    document = (want["location"] or want["content-location"]).removeprefix(PREFIX)
    assert document.endswith("." + ext)
    assert w3id.status_code == 303 and w3id.headers["location"] == target + document
    followed = {
        name: httpx.get(url, timeout=30)
        for name, url in [
            ("server", live_server + PREFIX + document),
            ("nginx", nginx_url + PREFIX + document),
            ("apache", w3id.headers["location"]),
        ]
    }
    for name, r in followed.items():
        assert r.status_code == 200 and media(r) == routes.DOCUMENT_TYPES[ext], name
    assert followed["nginx"].content == followed["apache"].content == followed["server"].content


@pytest.mark.server
@pytest.mark.parametrize(
    "name",
    ["release/{v}/ketamine-kg.nq", "release/{v}/SHA256SUMS", "SHA256SUMS", "id/drug/ketamine.ttl"],
)
def test_release_files_agree(
    name: str,
    version: str,
    release_dir: Path,
    live_server: str,
    nginx_url: str,
    apache: tuple[str, str],
) -> None:
    """Files: served with the table's media type; the w3id rules answer 302 to the file."""
    path = name.format(v=version)
    want = expected(path, None, version)
    assert answer(live_server, path, None) == answer(nginx_url, path, None) == want
    file = routes.route(path, None, version).file
    assert get(nginx_url, PREFIX + path, None).content == (release_dir / file).read_bytes()
    apache_url, target = apache
    w3id = get(apache_url, PREFIX + path, None)
    assert w3id.status_code == 302 and w3id.headers["location"] == target + file
    assert "vary" not in w3id.headers
    assert media(httpx.get(w3id.headers["location"], timeout=30)) == want["type"]


@pytest.mark.server
@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("id/drug/no-such-drug", "text/turtle", 404),
        ("id/drug/no-such-drug", UNACCEPTABLE, 406),
        ("release/{v}/no-such-file.nq", None, 404),
        ("release/0.0.0-none/ketamine-kg.nq", None, 404),
    ],
)
def test_missing_resources_agree(
    path: str,
    accept: str | None,
    status: int,
    version: str,
    live_server: str,
    nginx_url: str,
    apache: tuple[str, str],
) -> None:
    """404 and 406 alike from server and nginx. The w3id rules cannot know which things exist:
    they redirect, and the static host answers 404."""
    path = path.format(v=version)
    server, ngx = answer(live_server, path, accept), answer(nginx_url, path, accept)
    assert server["status"] == ngx["status"] == status
    negotiated = path.startswith("id/")  # another Accept could get another status
    assert ngx["vary"] == ("Accept" if negotiated else None)
    assert server["vary"] == "Accept"  # and the server's 404 is HTML for browsers, else text
    apache_url, _ = apache
    w3id = get(apache_url, PREFIX + path, accept)
    if status == 406:
        assert w3id.status_code == 406
    else:
        assert w3id.status_code in (302, 303)
        assert httpx.get(w3id.headers["location"], timeout=30).status_code == 404


@pytest.mark.server
def test_q_values_of_the_same_tenth_are_the_documented_limit(
    live_server: str, nginx_url: str, apache: tuple[str, str]
) -> None:
    """rdf at q=0.95 beats ttl at q=0.9 on the server; the rules see one tier and take ttl."""
    accept, server, rules = LIMIT
    thing = "id/drug/ketamine"
    assert answer(live_server, thing, accept)["location"] == f"{PREFIX}{thing}.{server}"
    assert answer(nginx_url, thing, accept)["location"] == f"{PREFIX}{thing}.{rules}"
    apache_url, target = apache
    assert get(apache_url, PREFIX + thing, accept).headers["location"] == f"{target}{thing}.{rules}"


@pytest.mark.server
@pytest.mark.parametrize("path", ["id/", "id", "release/{v}/", "release/{v}/id/", "release/{v}/id"])
def test_folders_are_not_resources(
    path: str, version: str, live_server: str, nginx_url: str
) -> None:
    path = path.format(v=version)
    assert (
        answer(live_server, path, None)["status"] == answer(nginx_url, path, None)["status"] == 404
    )


ASK = "ASK { ?s a <https://w3id.org/ketamine-kg/ontology#Drug> }"


@pytest.mark.server
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_endpoint_iri_redirects_keeping_the_method(
    method: str, live_server: str, nginx_url: str, apache: tuple[str, str]
) -> None:
    """void:sparqlEndpoint is <…/sparql>: the w3id rules and nginx send it on with 307, so a
    POSTed query arrives as a POST, and a GET keeps its query string."""
    apache_url, _ = apache
    endpoint = f"{live_server}{PREFIX}sparql"
    accept = {"Accept": "application/sparql-results+json"}
    for base in (apache_url, nginx_url):
        with httpx.Client(timeout=30) as client:
            if method == "POST":
                first = client.post(base + PREFIX + "sparql", data={"query": ASK}, headers=accept)
            else:
                first = client.get(base + PREFIX + "sparql", params={"query": ASK}, headers=accept)
            assert first.status_code == 307, base
            location = first.headers["location"]
            assert location.split("?")[0] == endpoint
            assert ("?query=" in location) == (method == "GET")
            answer = client.request(
                method, location, data={"query": ASK} if method == "POST" else None, headers=accept
            )
        assert answer.status_code == 200 and answer.json()["boolean"] is True


def test_static_nginx_without_an_endpoint_says_so() -> None:
    conf = redirects.nginx("1.0")
    block = conf[conf.index(f"location = {PREFIX}sparql {{") :].split("}", 1)[0]
    assert "return 404" in block and "no SPARQL endpoint" in block
    assert "return 307 https://q.example/s$is_args$args;" in redirects.nginx(
        "1.0", sparql="https://q.example/s"
    )
