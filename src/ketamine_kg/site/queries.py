"""Pages for the shipped example queries, each with its text and its current results."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ketamine_kg.build.intake import query_error, read_source
from ketamine_kg.query import QueryError, run_query
from ketamine_kg.release.directory import example_title
from ketamine_kg.site.html import e, href, identifier_text, is_web_iri, table
from ketamine_kg.site.layout import page


def _cell(term: object, here: str) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode) and is_web_iri(term.value):
        target = href(term.value, here)
        return f'<a href="{e(target)}">{e(identifier_text(term.value))}</a>'
    return e(term.value if isinstance(term, ox.Literal) else str(term))


def _results(store: ox.Store, path: Path, text: str, here: str) -> str:
    try:
        result = run_query(store, text)
    except QueryError as exc:  # the example names itself, at its own line:col
        raise query_error(path, str(exc)) from None
    if isinstance(result, ox.QueryBoolean):
        return f"<p>Answer: <strong>{'yes' if bool(result) else 'no'}</strong></p>"
    if isinstance(result, ox.QueryTriples):
        triples = sorted(result, key=str)
        rows = [
            [_cell(t.subject, here), _cell(t.predicate, here), _cell(t.object, here)]
            for t in triples
        ]
        return f"<p>{len(rows)} triples.</p>" + table(["subject", "predicate", "object"], rows)
    names = [v.value for v in result.variables]
    rows = [[_cell(solution[name], here) for name in names] for solution in result]
    if not rows:
        return "<p>No results.</p>"
    return f"<p>{len(rows)} rows.</p>" + table(names, rows)


def query_pages(store: ox.Store, files: list[Path]) -> dict[str, str]:
    """`queries/index.html` and `queries/<name>.html` for every example query file."""
    pages: dict[str, str] = {}
    items = []
    for path in files:
        text = read_source(path)
        question = example_title(text)
        here = f"queries/{path.stem}.html"
        body = (
            f"<p>Run it: <code>ketamine-kg query {e(path.stem)}</code>, or paste it into the "
            "query editor of <code>ketamine-kg serve</code>. It declares its prefixes, so "
            f'<a href="{e(path.stem)}.rq">{e(path.stem)}.rq</a> runs as it is on any SPARQL '
            "1.1 engine holding the release, with the union of its named graphs as the "
            "default graph.</p>"
            f"<pre><code>{e(text.strip())}</code></pre>"
            f'<section id="results"><h2>Results in this release</h2>'
            f"{_results(store, path, text, here)}</section>"
        )
        pages[here] = page(here, question, "example query", body)
        items.append(f'<li><a href="{e(path.stem)}.html">{e(question)}</a></li>')
    body = "<p>Competency questions the graph answers, with their results.</p>"
    body += "<ul>" + "".join(items) + "</ul>"
    pages["queries/index.html"] = page("queries/index.html", "Example queries", "queries", body)
    return pages
