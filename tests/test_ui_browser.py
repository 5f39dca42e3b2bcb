"""The query UI in a real browser: headless Chromium (Debian's) against a live server.

Every test records each request the page makes and fails on any that leaves the page's origin.
Such requests are also aborted before they leave the browser, and attempts that the page's
Content-Security-Policy blocks (they never show up as requests) are collected from
`securitypolicyviolation` events and fail the test too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLE = "esketamine-us-approvals"
RESULT_ROWS = ".yasr table.dataTable tbody tr"
RUN_BUTTON = ".yasqe .yasqe_queryButton"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


@dataclass
class Visit:
    """One page in a fresh browser context, with everything it asked for."""

    page: object
    base: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")

    def assert_same_origin_only(self) -> None:
        assert self.requests, "no request was recorded"
        outside = [url for url in self.requests if origin(url) != origin(self.base)]
        assert not outside, f"requests to other hosts: {outside}"
        assert not self.foreign, f"requests to other hosts (aborted): {self.foreign}"
        assert not self.csp_violations(), f"blocked by CSP: {self.csp_violations()}"
        assert not self.errors, f"page errors: {self.errors}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def visit(browser, live_server: str) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    visit = Visit(page=page, base=live_server)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))

    def abort_foreign(route) -> None:
        visit.foreign.append(route.request.url)
        route.abort()

    context.route(lambda url: origin(url) != origin(live_server), abort_foreign)
    yield visit
    context.close()


def open_ui(visit: Visit, path: str = "/") -> None:
    visit.page.goto(visit.base + path)
    visit.page.wait_for_selector(
        f'#example option[value="{EXAMPLE}"]', state="attached", timeout=30_000
    )


def test_example_query_runs_and_shows_its_table(visit: Visit) -> None:
    page = visit.page
    open_ui(visit)
    assert page.title() == "ketamine-kg SPARQL"
    assert page.get_attribute('a[href="/ketamine-kg/ontology"]', "href")
    assert page.get_attribute('a[href="/downloads/"]', "href")

    page.select_option("#example", EXAMPLE)
    query = page.evaluate("window.ketamineKg.yasgui.getTab().getQuery()")
    assert "SELECT" in query and "PREFIX kko:" in query
    page.click(RUN_BUTTON)
    page.wait_for_selector(RESULT_ROWS)

    table = page.inner_text(".yasr table.dataTable")
    assert "2019-03-05" in table
    assert "treatment-resistant depression" in table
    assert page.locator(RESULT_ROWS).count() >= 3

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-query.png"), full_page=True)

    sparql = [url for url in visit.requests if urlsplit(url).path == "/sparql"]
    assert sparql, "the query was not sent to /sparql"
    visit.assert_same_origin_only()


def test_autocompletion_asks_no_remote_service(visit: Visit) -> None:
    """YASQE's class and property completers would ask lov.linkeddata.es: they are off."""
    page = visit.page
    open_ui(visit)
    page.evaluate(
        "window.ketamineKg.yasgui.getTab().getYasqe().setValue("
        "'PREFIX foaf: <http://xmlns.com/foaf/0.1/>\\nSELECT * WHERE {\\n  ?s a ')"
    )
    page.click(".CodeMirror")
    page.keyboard.press("Control+End")
    page.keyboard.type("foaf:Pers")
    page.keyboard.press("Control+Space")
    page.keyboard.type(" ; foaf:na")
    page.keyboard.press("Control+Space")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+End")
    page.keyboard.type(" ?name }\nPREFIX sch")
    page.keyboard.press("Control+Space")
    page.wait_for_timeout(1_000)

    completers = page.evaluate("window.ketamineKg.yasgui.getTab().getYasqe().config.autocompleters")
    assert sorted(completers) == ["prefixes", "variables"]
    visit.assert_same_origin_only()


def test_share_link_cannot_point_the_ui_elsewhere(visit: Visit) -> None:
    """A YASGUI share link runs its query at once; a foreign endpoint in it is replaced."""
    query = "SELECT ?claim WHERE { ?claim a ?type } LIMIT 1"
    link = f"/#query={quote(query)}&endpoint={quote('http://example.invalid/sparql', safe='')}"
    open_ui(visit, link)
    # Either the results arrive from this server, or the policy blocks a foreign request.
    visit.page.wait_for_function(
        f"document.querySelector({RESULT_ROWS!r}) || window.__cspViolations.length"
    )
    visit.assert_same_origin_only()

    endpoint = visit.page.evaluate("window.ketamineKg.yasgui.getTab().getEndpoint()")
    assert endpoint == visit.base + "/sparql"
    assert any(urlsplit(url).path == "/sparql" for url in visit.requests)
    assert visit.page.locator(RESULT_ROWS).count() == 1
