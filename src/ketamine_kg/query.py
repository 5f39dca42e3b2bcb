"""The embedded SPARQL store over a release, and `ketamine-kg query`'s output: the readable
table, or the answer as the endpoint writes it (serve/results.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import formats
from ketamine_kg.build.intake import query_error, read_source
from ketamine_kg.errors import KetamineKgError, SourceError
from ketamine_kg.serve import results
from ketamine_kg.serve.guard import INVALID, GuardError, check_query, needs_check
from ketamine_kg.vocab import PREFIXES, curie

#: `-f` for SELECT and ASK: the CLI's aligned table, or a SPARQL results format.
SOLUTION_FORMATS = ("table", *(f.name for f in formats.RESULT_FORMATS))
#: `-f` for CONSTRUCT and DESCRIBE.
GRAPH_FORMAT_NAMES = tuple(f.name for f in formats.GRAPH_FORMATS)


class QueryError(KetamineKgError):
    """A query that could not be found, parsed or run."""


def resolve_query(text_or_name: str, examples: Mapping[str, str]) -> str:
    """A query given inline, as a `.rq` file path, or as the name of a shipped example."""
    path = Path(text_or_name)
    if len(text_or_name) < 4096 and path.suffix == ".rq" and path.is_file():
        try:
            return read_source(path)
        except SourceError as exc:
            raise QueryError(str(exc)) from None
    if text_or_name.removesuffix(".rq") in examples:
        return examples[text_or_name.removesuffix(".rq")]
    if re.search(r"\s|\{", text_or_name.strip()) or any(
        k in text_or_name.upper() for k in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
    ):
        return text_or_name  # query text: the parser says what is wrong with it, and where
    names = ", ".join(sorted(examples))
    raise QueryError(f"{text_or_name!r} is neither a query, a .rq file nor an example ({names})")


def with_prefixes(query: str) -> str:
    """Prepend the shared PREFIX declarations the query does not declare itself."""
    declared = {
        line.split()[1].rstrip(":").lower()
        for line in query.splitlines()
        if line.strip().upper().startswith("PREFIX") and len(line.split()) > 1
    }
    missing = "".join(
        f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p.lower() not in declared
    )
    return missing + query


def run_query(
    store: ox.Store, query: str, graphs: Iterable[str] | None = None
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a query on the release with the shared prefixes predeclared, behind the endpoint's
    guard (no SERVICE, no update, no graph outside `graphs`, by default the store's); errors
    are QueryError.
    """
    graphs = frozenset(g.value for g in store.named_graphs()) if graphs is None else graphs
    try:
        if needs_check(query):
            check_query(query, graphs, prefixes=PREFIXES)
        return store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
    except GuardError as exc:
        invalid = exc.message.startswith(INVALID)
        raise QueryError(
            f"invalid SPARQL: {exc.message.removeprefix(INVALID)}" if invalid else exc.message
        ) from None
    except SyntaxError as exc:
        raise QueryError(f"invalid SPARQL: {_plain_syntax_error(query, exc.msg)}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"Query evaluation failed: {exc}") from None


def _plain_syntax_error(query: str, message: str) -> str:
    """The engine's message with its list of expected characters replaced by what it found.

    >>> _plain_syntax_error("SELEC ?x WHERE {}", "error at 1:1: expected one of ['A'..'Z']")
    "error at 1:1: unexpected 'SELEC ?x WHERE {}'"
    >>> _plain_syntax_error("SELECT ?x WHERE {", "error at 1:18: expected one of ['}']")
    'error at 1:18: unexpected end of the query'
    """
    found = re.match(r"error at (\d+):(\d+): (.*)", message, re.S)
    if found is None or not found.group(3).startswith("expected"):
        return message
    line, column = int(found.group(1)), int(found.group(2))
    lines = query.splitlines()
    near = lines[line - 1][column - 1 : column + 19] if 0 < line <= len(lines) else ""
    if "Prefix not found" in found.group(3) and (at := _prefix_before(query, line, column)):
        return f"error at {line}:{at[0]}: the prefix {at[1]}: is not declared"
    what = f"unexpected {near!r}" if near.strip() else "unexpected end of the query"
    return f"error at {line}:{column}: {what}"


def check_examples(paths: list[Path], graphs: Iterable[str]) -> None:
    """Each example query passes the guard and parses, and declares every prefix it uses, so
    that the shipped file runs on any SPARQL engine; a problem is a SourceError at the file's
    own line:col. Run on an empty store, so that a broken example stops the build before the
    expensive stages.
    """
    empty = ox.Store()
    for path in paths:
        text = read_source(path)
        try:
            run_query(empty, text, frozenset(graphs))
        except QueryError as exc:
            raise query_error(path, str(exc)) from None
        try:
            empty.query(text)  # no predeclared prefixes, as another engine reads it
        except SyntaxError as exc:
            raise _undeclared_prefix(path, text, exc) from None


def _prefix_before(text: str, line: int, column: int) -> tuple[int, str] | None:
    """The column and name of the prefixed name ending at line:column (where the engine points
    when a prefix is not declared), if there is one.
    """
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    name = re.search(r"([A-Za-z][\w.-]*)?:[^\s:]*$", lines[line - 1][: column - 1])
    return (name.start() + 1, name.group(1) or "") if name else None


def _undeclared_prefix(path: Path, text: str, exc: SyntaxError) -> SourceError:
    found = re.search(r"error at (\d+):(\d+)", str(exc))
    at = found and _prefix_before(text, int(found.group(1)), int(found.group(2)))
    if not found or not at:
        return query_error(path, str(exc))
    return SourceError(
        path,
        int(found.group(1)),
        at[0],
        f"the prefix {at[1]}: is not declared: a shipped query declares every prefix it uses "
        f"(PREFIX {at[1]}: <…>), so that it runs on any SPARQL engine",
    )


def answer(store: ox.Store, query: str, fmt: str, context: dict) -> str:
    """run_query and format_result in a daemon thread that the main thread waits for.

    The engine evaluates in native code that a Ctrl-C cannot interrupt; the main thread's wait
    can be, so KeyboardInterrupt comes at once and the process can end without the query.
    """
    texts: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            texts.append(format_result(run_query(store, query), fmt, context))
        except BaseException as exc:  # handed to the main thread, without this thread's frames
            errors.append(exc.with_traceback(None))  # (pyoxigraph answers may not change thread)

    thread = threading.Thread(target=work, name="query", daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return texts[0]


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def rows_of(result: ox.QuerySolutions) -> tuple[list[str], list[list[str]]]:
    """Variable names and rows of shortened cell texts."""
    names = [v.value for v in result.variables]
    return names, [[_cell(term) for term in solution] for solution in result]


def format_result(result: object, fmt: str, context: dict) -> str:
    """Render a SELECT/ASK result as the table or in a SPARQL results format (json, xml, csv,
    tsv: the bytes /sparql answers with); a graph result as RDF (turtle for the default
    `table`). A format that cannot express the answer is a QueryError.
    """
    graph = isinstance(result, ox.QueryTriples)
    if not graph and fmt in GRAPH_FORMAT_NAMES:
        form = "an ASK" if isinstance(result, ox.QueryBoolean) else "a SELECT"
        raise QueryError(
            f"-f {fmt} writes a graph; {form} answer is written as {', '.join(SOLUTION_FORMATS)}"
        )
    if graph and fmt in SOLUTION_FORMATS and fmt != "table":
        raise QueryError(
            f"-f {fmt} writes solutions; a CONSTRUCT or DESCRIBE answer is written as "
            f"{', '.join(GRAPH_FORMAT_NAMES)} (by default turtle)"
        )
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return f"{str(bool(result)).lower()}\n"
        return results.serialize_boolean(result, _results_format(fmt)).decode()
    if isinstance(result, ox.QueryTriples):
        graph_format = formats.by_name(fmt if fmt in GRAPH_FORMAT_NAMES else "turtle")
        return results.graph_bytes(sorted(result, key=str), graph_format, context).decode()
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"not a query answer: {result!r}")
    if fmt != "table":
        return results.serialize_solutions(result, _results_format(fmt)).decode()
    return _table(*rows_of(result))


def _results_format(name: str) -> formats.Format:
    return formats.by_name(name, formats.RESULT_FORMATS)


def _table(names: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(names), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
