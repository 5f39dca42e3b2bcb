"""What a source may contain: the checks every source passes before the expensive stages.

The gate must refuse what the release cannot publish, with `path:line:col` and a sentence,
never a traceback. pyoxigraph's parse gives no position per triple, so a triple's place is
found by searching the file's text for how it spells the offending term.

The limits below are checked before SHACL, whose cost grows faster than the input in each of
these dimensions; raise one here if real data needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE
from ketamine_kg.errors import SourceError
from ketamine_kg.identifiers import SCHEMES
from ketamine_kg.vocab import ID, KKO, VOCAB, XSD

#: Largest source file read (bytes); pyoxigraph's buffer for one token is 16 MiB.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Longest literal (characters): a 1 MB literal made the build five times slower.
MAX_LITERAL_CHARS = 65_536

#: Roles whose triples are published: their terms must all be named and linkable.
PUBLISHED_ROLES = ("ontology", "vocab", "data", "mappings")
#: External subjects a source may describe: identifier schemes and the OBO terms the ontology
#: aligns with (ECO, SEPIO).
EXTERNAL_SUBJECT_BASES = tuple(
    sorted({s.iri_base for s in SCHEMES.values()} | {"http://purl.obolibrary.org/obo/"})
)
SUBJECT_BASES = (BASE, *EXTERNAL_SUBJECT_BASES)
#: A slug of an IRI we mint (`…/id/<kind>/<slug>`, `…/vocab/<scheme>/<slug>`).
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
#: The local name of an ontology term (`kko:Drug`, `kko:labelSource`).
TERM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")

_TZ = r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
_YMD = r"(-?\d{4,})-(\d\d)-(\d\d)"
#: Lexical forms of the XSD datatypes the sources use (pyoxigraph keeps ill-formed ones).
LEXICAL_FORMS = {
    XSD.date: re.compile(_YMD + _TZ, re.ASCII),
    XSD.dateTime: re.compile(
        _YMD + r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?" + _TZ, re.ASCII
    ),
    XSD.gYear: re.compile(r"-?\d{4,}" + _TZ, re.ASCII),
    XSD.gYearMonth: re.compile(r"-?\d{4,}-(?:0[1-9]|1[0-2])" + _TZ, re.ASCII),
    XSD.decimal: re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII),
    XSD.integer: re.compile(r"[+-]?\d+", re.ASCII),
    XSD.boolean: re.compile(r"true|false|1|0"),
    XSD.duration: re.compile(
        r"-?P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?",
        re.ASCII,
    ),
}


class FileError(SourceError):
    """A source problem with no line in the file to point at: `path: message`."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(path, 0, 0, message)
        self.args = (f"{self.path}: {message}",)

    def __reduce__(self) -> tuple:
        """Pickled by its fields, like SourceError."""
        return type(self), (self.path, self.message)


@dataclass(frozen=True)
class Source:
    """One parsed Turtle source: its text (to find positions in) and its triples."""

    path: Path
    role: str
    text: str
    triples: list[ox.Triple]
    prefixes: dict[str, str]


# --- files ----------------------------------------------------------------------------------


def read_source(path: Path) -> str:
    """The text of a source file: a regular file of at most MAX_FILE_BYTES, UTF-8 (a leading
    byte order mark is dropped); anything else is a SourceError naming the file.
    """
    if path.is_symlink() and not path.exists():
        raise FileError(path, "is a symbolic link to a file that does not exist")
    if path.is_dir():
        raise FileError(path, "is a directory, not a source file")
    if not path.is_file():
        raise FileError(path, "is not a regular file (or does not exist)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileError(
            path, f"is {size:,} bytes; a source file may have at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", errors="replace")) + 1
        byte = data[exc.start]
        raise SourceError(path, line, column, f"byte 0x{byte:02x} is not UTF-8") from None
    return text.removeprefix("\ufeff")


def position(text: str, offset: int) -> tuple[int, int]:
    r"""1-based line and column of a character offset.

    >>> position("ab\ncd", 4)
    (2, 2)
    """
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --- finding a term in the text ---------------------------------------------------------------


#: Characters a Turtle local name may write with a backslash (`drug:\\-x`).
_ESCAPABLE = set("_~.-!$&'()*+,;=/?#@%")


def _spellings(term: ox.NamedNode | ox.Literal, prefixes: dict[str, str]) -> Iterator[str]:
    """Regexes for the ways a Turtle file may write `term`."""
    if isinstance(term, ox.Literal):
        yield re.escape(term.value[:64])
        return
    yield re.escape(f"<{term.value}>")
    for prefix, namespace in prefixes.items():
        local = term.value.removeprefix(namespace)
        if term.value.startswith(namespace) and local:
            spelt = "".join(
                r"\\?" + re.escape(c) if c in _ESCAPABLE else re.escape(c) for c in local
            )
            yield r"(?<![\w.:-])" + re.escape(prefix + ":") + spelt + r"(?![\w:-])"


#: Strings, IRIs and comments (skipped), and the three ways to write a blank node.
_TURTLE_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\s]*>|#[^\n]*'
    r"|(?P<blank>(?<![\w.-])_:|\[|\()"
)


def first_blank_node(text: str) -> tuple[int, int]:
    r"""Where a Turtle text first writes a blank node (`[`, `(` or `_:`), or (0, 0).

    >>> first_blank_node('<a> <b> "[not this]" ; # nor ( this\n  <c> [ <d> 1 ] .')
    (2, 7)
    """
    for token in _TURTLE_TOKENS.finditer(text):
        if token.group("blank"):
            return position(text, token.start())
    return 0, 0


def locate(source: Source, *terms: object) -> tuple[int, int]:
    """Where the file first writes the first of `terms` it writes at all, or (0, 0)."""
    for term in terms:
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            continue
        found = [
            m.start()
            for pattern in _spellings(term, source.prefixes)
            if (m := re.search(pattern, source.text))
        ]
        if found:
            return position(source.text, min(found))
    return 0, 0


def problem(source: Source, message: str, *terms: object) -> SourceError:
    """A SourceError at the first of `terms` found in the file, else naming the file alone."""
    line, column = locate(source, *terms)
    return (
        SourceError(source.path, line, column, message) if line else FileError(source.path, message)
    )


# --- one file -------------------------------------------------------------------------------


def minted_iri_problem(iri: str) -> str | None:
    """Why an IRI in our namespace is not one the release can publish, or None.

    >>> minted_iri_problem("https://w3id.org/ketamine-kg/id/drug/ketamine") is None
    True
    >>> minted_iri_problem("https://w3id.org/ketamine-kg/id/drug/Ketamine")
    "the slug 'Ketamine' must be lower-case ASCII letters, digits and hyphens ([a-z0-9][a-z0-9-]*)"
    """
    if iri.startswith((ID, VOCAB)):
        rest = iri.removeprefix(ID) if iri.startswith(ID) else iri.removeprefix(VOCAB)
        slugs = rest.split("/")
        if len(slugs) > 2 or (iri.startswith(ID) and len(slugs) != 2):
            return "is not …/id/<kind>/<slug>, …/vocab/<scheme> or …/vocab/<scheme>/<slug>"
        for slug in slugs:
            if not SLUG.fullmatch(slug):
                return (
                    f"the slug {slug!r} must be lower-case ASCII letters, digits and hyphens "
                    "([a-z0-9][a-z0-9-]*)"
                )
    elif iri.startswith(KKO.NS) and not TERM_NAME.fullmatch(iri.removeprefix(KKO.NS)):
        return "an ontology term's name must be ASCII letters and digits, starting with a letter"
    return None


def _is_http(iri: str) -> bool:
    return iri.startswith(("http://", "https://"))


def literal_problem(literal: ox.Literal) -> str | None:
    """Why a literal cannot be published, or None.

    >>> literal_problem(ox.Literal("2026-02-30", datatype=ox.NamedNode(XSD.date)))
    "'2026-02-30' is not a valid xsd:date"
    """
    value = literal.value
    if len(value) > MAX_LITERAL_CHARS:
        return (
            f"a literal of {len(value):,} characters; a literal may have at most "
            f"{MAX_LITERAL_CHARS:,}"
        )
    datatype = literal.datatype.value
    form = LEXICAL_FORMS.get(datatype)
    if form is None:
        return None
    match = form.fullmatch(value)
    if match is None or (datatype in (XSD.date, XSD.dateTime) and not _real_day(match)):
        return f"{value!r} is not a valid xsd:{datatype.removeprefix(XSD.NS)}"
    return None


def _real_day(match: re.Match[str]) -> bool:
    year, month, day = (int(g) for g in match.groups()[:3])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


def check_base(source: Source, bases: Iterable[str]) -> None:
    """An @base may only point into our namespace (relative IRIs would name another site's)."""
    for base in bases:
        if not base.startswith(BASE):
            found = re.search(r"(?im)(@base|^\s*base)\s*<" + re.escape(base), source.text)
            where = position(source.text, found.start(1)) if found else (0, 0)
            message = (
                f"@base <{base}> is outside {BASE}: relative IRIs would name another site's "
                "resources"
            )
            raise (
                SourceError(source.path, *where, message)
                if found
                else FileError(source.path, message)
            )


def _triple_term(source: Source) -> SourceError:
    """An RDF 1.2 triple term, at the file's first `<<`: SHACL, OWL and the dumps' readers
    (rdflib, Virtuoso) take plain triples only.
    """
    message = (
        "a triple term (<< … >>): the release publishes plain triples only; make the "
        "statement a resource with its own IRI"
    )
    offset = source.text.find("<<")
    if offset < 0:
        return FileError(source.path, message)
    return SourceError(source.path, *position(source.text, offset), message)


def check_source(source: Source) -> None:
    """Every triple of one file: named terms (published roles), http(s) IRIs, slugs, subjects
    in our namespace or a known scheme, literal size and lexical forms (nesting: nesting.py).
    """
    published = source.role in PUBLISHED_ROLES
    checked: set[str] = set()  # IRIs repeat (every predicate, most objects): check each once
    for t in source.triples:
        if isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple):
            raise _triple_term(source)
        if published and (
            isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
        ):
            message = (
                "a blank node ([ … ], ( … ) or _:x): the release publishes named resources "
                "only; give it an IRI"
            )
            line, column = first_blank_node(source.text)
            if line:
                raise SourceError(source.path, line, column, message)
            raise problem(source, message, t.subject, t.predicate)
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode) and term.value not in checked:
                _check_iri(source, term)
                checked.add(term.value)
        if isinstance(t.subject, ox.NamedNode) and not t.subject.value.startswith(SUBJECT_BASES):
            raise problem(
                source,
                f"the subject <{t.subject.value}> is neither in {BASE} nor an identifier of a "
                "known scheme: a source describes only its own resources",
                t.subject,
            )
        if isinstance(t.object, ox.Literal) and (why := literal_problem(t.object)):
            raise problem(source, why, t.object, t.predicate, t.subject)


def _check_iri(source: Source, term: ox.NamedNode) -> None:
    if not _is_http(term.value):
        raise problem(
            source,
            f"the IRI <{term.value}> is not http(s): only http and https IRIs are published "
            "(they become links)",
            term,
        )
    if term.value.startswith(BASE) and (why := minted_iri_problem(term.value)):
        raise problem(source, f"<{term.value}>: {why}", term)


# --- across files ---------------------------------------------------------------------------


def check_declared(sources: list[Source]) -> None:
    """Every kko: term a published source uses is declared by the ontology (a subject there)."""
    declared = {rdf.text(t.subject) for s in sources if s.role == "ontology" for t in s.triples}
    for source in sources:
        if source.role not in PUBLISHED_ROLES:
            continue
        for t in source.triples:
            for term in (t.predicate, t.object, t.subject):
                if (
                    isinstance(term, ox.NamedNode)
                    and term.value.startswith(KKO.NS)
                    and term.value not in declared
                ):
                    raise problem(
                        source,
                        f"kko:{term.value.removeprefix(KKO.NS)} is not declared in the ontology "
                        "(ontology/*.ttl): declare it there or fix the name",
                        term,
                    )


#: "error at 5:2: expected …", as pyoxigraph and the query guard word a syntax error.
_QUERY_POSITION = re.compile(r"(?:.*?)error at (\d+):(\d+): ?(.*)", re.DOTALL)


def query_error(path: Path, message: str) -> SourceError:
    """A query file's syntax error at the position its message gives (the user's own lines:
    the shared prefixes are passed to the engine, never prepended to the text).
    """
    found = _QUERY_POSITION.match(message)
    if found:
        line, column, rest = found.groups()
        return SourceError(path, int(line), int(column), f"invalid SPARQL: {rest}")
    return FileError(path, message)
