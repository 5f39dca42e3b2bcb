"""The website as `ketamine-kg serve` answers it, and as headless Chromium shows it (the
screenshots are kept in tests/artifacts/ for a reviewer to look at)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import claim_count

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
DCAT = "http://www.w3.org/ns/dcat#"

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


def version(release_dir: Path) -> str:
    return next(
        t.object.value
        for t in ox.parse(path=str(release_dir / "index.nt"))
        if t.predicate.value == "http://purl.org/pav/version"
    )


def test_dataset_iri_serves_the_landing_page_or_its_metadata(client: httpx.Client) -> None:
    page = client.get("/ketamine-kg/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-location"] == "/ketamine-kg/index.html"
    assert page.headers["vary"] == "Accept, Accept-Encoding" and "<h1>ketamine-kg</h1>" in page.text
    rdf = client.get("/ketamine-kg/", headers={"Accept": "text/turtle"})
    assert rdf.headers["content-location"] == "/ketamine-kg/index.ttl"
    triples = list(ox.parse(rdf.content, format=ox.RdfFormat.TURTLE))
    assert sum(t.object.value == DCAT + "Distribution" for t in triples) > 30


def test_release_files_under_their_version_iri(client: httpx.Client, release_dir: Path) -> None:
    v = version(release_dir)
    r = client.get(f"/ketamine-kg/release/{v}/ketamine-kg.nq")
    assert r.status_code == 200 and r.content == (release_dir / "ketamine-kg.nq").read_bytes()
    assert r.headers["content-type"].startswith("application/n-quads")
    assert client.get("/ketamine-kg/release/0.0.0-none/ketamine-kg.nq").status_code == 404
    ontology = client.get(
        f"/ketamine-kg/release/{v}/ontology",
        headers={"Accept": "application/rdf+xml"},
        follow_redirects=False,
    )
    assert ontology.status_code == 303
    assert ontology.headers["location"] == "/ketamine-kg/ontology.rdf"
    dataset = client.get(f"/ketamine-kg/release/{v}", follow_redirects=False)
    assert dataset.status_code == 303 and dataset.headers["location"] == "/ketamine-kg/index.html"


def test_site_files_and_documents(client: httpx.Client) -> None:
    svg = client.get("/ketamine-kg/model.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    term = client.get("/ketamine-kg/ontology/TherapeuticUseClaim.html")
    assert term.status_code == 200 and term.headers["content-type"].startswith("text/html")
    shapes = client.get("/ketamine-kg/shapes", headers={"Accept": "application/n-triples"})
    assert shapes.headers["content-location"] == "/ketamine-kg/shapes.nt"
    assert b"http://www.w3.org/ns/shacl#NodeShape" in shapes.content
    sparql = client.post("/ketamine-kg/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert sparql.status_code == 200 and sparql.json()["boolean"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/ketamine-kg/%2e%2e/pyproject.toml",
        "/ketamine-kg/no-such-page.html",
        "/ketamine-kg/id/%2e%2e/%2e%2e/%2e%2e/README.md",
    ],
)
def test_nothing_outside_the_release_is_served(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


# --- in a browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def look(browser, url: str, screenshot: str) -> tuple[object, list[str]]:
    """Open the page, record failed requests, keep a full-page screenshot."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    return page, failures


@pytest.mark.browser
def test_landing_page_in_chromium(browser, live_server: str, sources) -> None:
    page, failures = look(browser, live_server + "/ketamine-kg/", "site-landing.png")
    assert failures == []
    assert page.title() == "ketamine-kg"
    width = page.evaluate("document.querySelector('img[src=\"model.svg\"]').naturalWidth")
    assert width == 1400  # the diagram loaded
    assert page.locator("#what-it-says tbody tr").count() == claim_count(sources)
    # the evidence map inline: a link per use, drawn within the page's width, and its table
    assert page.locator("#evidence-map svg a").count() == claim_count(sources)
    box = page.locator("#evidence-map svg").bounding_box()
    assert 600 < box["width"] <= page.evaluate("window.innerWidth")
    assert page.locator("#evidence-map tbody tr").count() == claim_count(sources)
    assert page.locator("#downloads tbody tr").count() > 30
    # nothing wider than the window: the page reads without sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    approved = page.locator("#what-it-says .status-approved").first
    assert approved.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(215, 245, 221)"
    assert (ARTIFACTS / "site-landing.png").stat().st_size > 50_000


@pytest.mark.browser
def test_condition_page_in_chromium(browser, live_server: str) -> None:
    page, failures = look(browser, live_server + "/ketamine-kg/id/condition/ptsd", "site-ptsd.png")
    assert failures == []
    assert page.url.endswith("/ketamine-kg/id/condition/ptsd.html")  # the 303 was followed
    assert page.locator("h1").inner_text() == "post-traumatic stress disorder"
    badge = page.locator("#claims .status-investigational").first
    assert badge.inner_text() == "investigational"
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(231, 225, 251)"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("text=ketamine for post-traumatic stress disorder")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/ketamine-kg/id/claim/ketamine-ptsd.html")
