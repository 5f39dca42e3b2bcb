"""The evidence map: every use the graph records, by its status and the certainty of its
evidence, with the number of evidence items it cites, as an SVG grid.

One row per claim (drug or product for a condition or procedure, with its jurisdiction or research
phase), grouped by use status from the strongest to the weakest; one column per GRADE level of
certainty of the body of evidence, and a last column for claims whose certainty was not
assessed (approved, investigational and procedure claims: the data grades no body of evidence
for them, and the map does not invent one). The number in a row's cell is the number of
evidence items the claim cites (`kko:hasEvidence`), marked with an asterisk when any of them did
not show a plain benefit (its effect direction is no benefit, mixed or inconclusive), so a
count never reads as that much support. Status and certainty are written as text (group
headings, column headings, each row's title); colour only repeats them.

Drawn with presentation attributes only (no <style> element, no style attribute), so the same
SVG is valid standalone and inline in the landing page under its Content-Security-Policy.
Deterministic: rows sorted by status rank, then by their label and claim IRI; fixed geometry.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import BASE
from ketamine_kg.release.directory import EVIDENCE_MAP_SVG
from ketamine_kg.site.facts import STATUS_ORDER
from ketamine_kg.site.html import href
from ketamine_kg.vocab import sparql_prologue

#: Release-relative path of the map (beside the landing page, so links read the same in both).
HERE = EVIDENCE_MAP_SVG
#: GRADE's levels from the highest to the lowest (Balshem et al. 2011): the column order.
CERTAINTY_ORDER = [BASE + "vocab/certainty/" + c for c in ("high", "moderate", "low", "very-low")]
NOT_ASSESSED = "not assessed"
#: After a count: some of the evidence items did not show a plain benefit.
MARK = "*"

#: One row per claim, with the number of its evidence items and of those that did not show a
#: plain benefit; concepts by their English preferred label, drugs and targets by their
#: rdfs:label.
USES = """SELECT ?claim ?drugLabel ?productLabel ?targetLabel ?where ?status ?statusLabel
  ?certainty ?certaintyLabel (COUNT(DISTINCT ?evidence) AS ?items)
  (COUNT(DISTINCT ?against) AS ?notBenefit)
WHERE {
  ?claim a kko:TherapeuticUseClaim ; kko:drug/rdfs:label ?drugLabel ; kko:useStatus ?status .
  ?status skos:prefLabel ?statusLabel FILTER(langMatches(lang(?statusLabel), "en"))
  { ?claim kko:condition ?target } UNION { ?claim kko:procedure ?target }
  ?target rdfs:label ?targetLabel .
  OPTIONAL { ?claim kko:product/rdfs:label ?productLabel }
  OPTIONAL {
    ?claim kko:certainty ?certainty .
    OPTIONAL {
      ?certainty skos:prefLabel ?certaintyLabel FILTER(langMatches(lang(?certaintyLabel), "en"))
    }
  }
  OPTIONAL {
    ?claim kko:jurisdiction/skos:prefLabel ?jurisdiction
    FILTER(langMatches(lang(?jurisdiction), "en"))
  }
  OPTIONAL {
    ?claim kko:researchPhase/skos:prefLabel ?phase FILTER(langMatches(lang(?phase), "en"))
  }
  BIND(COALESCE(?jurisdiction, ?phase, "") AS ?where)
  OPTIONAL { ?claim kko:hasEvidence ?evidence }
  OPTIONAL {
    ?claim kko:hasEvidence ?against .
    ?against kko:effectDirection ?direction FILTER(?direction != effect:benefit)
  }
}
GROUP BY ?claim ?drugLabel ?productLabel ?targetLabel ?where ?status ?statusLabel ?certainty
  ?certaintyLabel"""

#: Status -> (band fill, text colour), the landing page's status badges (style.css).
STATUS_COLOURS = {
    BASE + "vocab/use-status/approved": ("#d7f5dd", "#0b5b1d"),
    BASE + "vocab/use-status/off-label-established": ("#d9eefa", "#094a72"),
    BASE + "vocab/use-status/off-label-reported": ("#fdf0c9", "#6b4b00"),
    BASE + "vocab/use-status/investigational": ("#e7e1fb", "#3c2a80"),
    BASE + "vocab/use-status/experimental": ("#fbe1ef", "#7a1747"),
    BASE + "vocab/use-status/withdrawn": ("#f5d5d5", "#7a1010"),
}
#: Cell fill by column: darker for more certainty; "not assessed" is white, outlined dashed.
CELL_FILLS = ["#08306b", "#2171b5", "#6baed6", "#c6dbef", "#ffffff"]
CELL_TEXT = ["#ffffff", "#ffffff", "#08306b", "#08306b", "#1b1b1b"]
CHAR = 7.2  # average glyph width at 13px
ROW, LINE, HEAD, COLUMN, PAD = 26, 16, 30, 120, 12
WRAP = 72  # characters per line of a use's label
TOP = 96  # below the title and the column headings


@dataclass(frozen=True)
class Use:
    """One claim as the map draws it."""

    claim: str
    label: str  # "drug (product) — target, where"
    status: str
    status_label: str
    certainty: str | None  # the certainty concept, None when not assessed
    certainty_label: str  # its English label, or NOT_ASSESSED
    items: int  # evidence items the claim cites
    not_benefit: int  # of those, the ones whose effect direction is not "benefit shown"

    @property
    def title(self) -> str:
        """The row's accessible name: everything the row shows, in words."""
        noun = "evidence item" if self.items == 1 else "evidence items"
        return (
            f"{self.label}: {self.status_label}; certainty of evidence {self.certainty_label}; "
            f"{self.items} {noun}{self.caveat}"
        )

    @property
    def caveat(self) -> str:
        """How many of the items did not show a plain benefit, as a clause ("" if none)."""
        if not self.not_benefit:
            return ""
        verb = "does" if self.not_benefit == 1 else "do"
        return f", {self.not_benefit} of which {verb} not show a plain benefit"

    @property
    def count(self) -> str:
        """The cell's text: the number of items, with an asterisk if any did not show a benefit."""
        return f"{self.items}{MARK if self.not_benefit else ''}"


def _rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def uses(store: ox.Store) -> list[Use]:
    """Every claim in the store, ordered by status rank, label and IRI.

    Raises ValueError for a claim with more than one status or certainty (the shapes allow
    one of each): the map draws one row per claim and never picks one of two values.
    """
    result = rdf.select(store, sparql_prologue() + USES, use_default_graph_as_union=True)
    found: dict[str, Use] = {}
    for row in result:
        value = {v.value: (row[v.value].value if row[v.value] else "") for v in result.variables}
        product = f" ({value['productLabel']})" if value["productLabel"] else ""
        where = f", {value['where']}" if value["where"] else ""
        use = Use(
            claim=value["claim"],
            label=f"{value['drugLabel']}{product} \u2014 {value['targetLabel']}{where}",
            status=value["status"],
            status_label=value["statusLabel"],
            certainty=value["certainty"] or None,
            certainty_label=value["certaintyLabel"] if value["certainty"] else NOT_ASSESSED,
            items=int(value["items"]),
            not_benefit=int(value["notBenefit"]),
        )
        if use.claim in found and found[use.claim] != use:
            raise ValueError(
                f"<{use.claim}> has more than one status, certainty or label: "
                "the evidence map draws one row per claim"
            )
        found[use.claim] = use
    return sorted(found.values(), key=lambda u: (_rank(u.status), u.label.lower(), u.claim))


def columns(store: ox.Store) -> list[tuple[str | None, str]]:
    """The certainty columns: (concept, English label) in GRADE order, then not assessed."""
    labels = {
        row["c"].value: row["label"].value
        for row in rdf.select(
            store,
            sparql_prologue() + "SELECT ?c ?label WHERE { ?c skos:prefLabel ?label "
            'FILTER(langMatches(lang(?label), "en")) }',
            use_default_graph_as_union=True,
        )
        if row["c"].value in CERTAINTY_ORDER
    }
    found: list[tuple[str | None, str]] = [(c, labels[c]) for c in CERTAINTY_ORDER if c in labels]
    return [*found, (None, NOT_ASSESSED)]


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(
        f" {name.rstrip('_').replace('_', '-')}={quoteattr(v)}" for name, v in attributes.items()
    )
    return f'<text x="{round(x, 1)}" y="{round(y, 1)}"{extra}>{escape(text)}</text>'


def wrap(label: str) -> list[str]:
    """A use's label in lines of at most WRAP characters, broken between words.

    >>> wrap("ketamine — refractory status epilepticus")
    ['ketamine — refractory status epilepticus']
    >>> len(wrap("esketamine (Spravato) — " + "a very long condition name " * 4))
    2
    """
    return textwrap.wrap(label, WRAP, break_long_words=False, break_on_hyphens=False) or [""]


def size(rows: list[Use], columns: int) -> tuple[int, int]:
    """Width and height of the map of these rows and number of certainty columns."""
    lines = [wrap(u.label) for u in rows]
    label = max([len(line) for ls in lines for line in ls] + [WRAP]) * CHAR + 2 * PAD
    groups = len({u.status for u in rows})
    body = sum(ROW + LINE * (len(ls) - 1) for ls in lines)
    return round(label + columns * COLUMN + PAD), TOP + groups * HEAD + body + 92


def evidence_map_svg(store: ox.Store, rows: list[Use] | None = None) -> str:
    """The SVG document of the evidence map of the claims in `store` (`rows`: their `uses`,
    if the caller has them already).
    """
    rows = uses(store) if rows is None else rows
    cols = columns(store)
    width, height = size(rows, len(cols))
    known = {c for c, _ in cols}
    left = width - len(cols) * COLUMN - PAD  # where the first certainty column starts
    centre = [left + COLUMN * i + COLUMN / 2 for i in range(len(cols))]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        'font-family="system-ui, sans-serif" font-size="13" fill="#1b1b1b">',
        "<title>Evidence map: every use of ketamine the graph records, "
        "by use status and certainty of evidence, with the number of evidence items</title>",
        "<desc>One row per use, grouped by status. The column says the "
        "certainty of the body of evidence (GRADE), or not assessed; the number is how many "
        "evidence items the use cites. Each row links to the use's page.</desc>",
        _text(
            PAD,
            22,
            "Use (drug or product \u2014 condition or procedure, where or phase)",
            font_weight="700",
        ),
        _text(
            left + len(cols) * COLUMN / 2,
            22,
            "Certainty of the body of evidence (GRADE)",
            font_weight="700",
            text_anchor="middle",
        ),
    ]
    for (concept, label), x in zip(cols, centre, strict=True):
        # "very low certainty" on two lines: the level, then the rest in grey
        level, _, rest = label.rpartition(" ") if concept else (label, "", "")
        second = f'<tspan x="{x}" dy="16" fill="#555">{escape(rest)}</tspan>' if rest else ""
        parts.append(
            f'<text x="{x}" y="52" text-anchor="middle" class="column">'
            f"<tspan>{escape(level + (' ' if rest else ''))}</tspan>{second}</text>"
        )
    parts.append(
        f'<line x1="{PAD}" y1="{TOP - 16}" x2="{width - PAD}" y2="{TOP - 16}" stroke="#999"/>'
    )
    y, status = TOP - 16, None
    for use in rows:
        band, ink = STATUS_COLOURS.get(use.status, ("#eeeeee", "#222222"))
        if use.status != status:
            status = use.status
            count = sum(1 for u in rows if u.status == status)
            parts.append(
                f'<rect x="{PAD}" y="{y + 4}" width="{width - 2 * PAD}" '
                f'height="{HEAD - 6}" fill="{band}"/>'
            )
            parts.append(
                _text(
                    PAD + 8,
                    y + 21,
                    f"{use.status_label} ({count})",
                    font_weight="700",
                    fill=ink,
                    class_="status",
                )
            )
            y += HEAD
        column = [c for c, _ in cols].index(use.certainty) if use.certainty in known else -1
        if column < 0:
            raise ValueError(
                f"<{use.claim}>: its certainty <{use.certainty}> is not a GRADE level with an "
                "English label, so the map has no column for it"
            )
        first, *more = wrap(use.label)
        tall = ROW + LINE * len(more)
        label = escape(first) + "".join(
            f'<tspan x="{PAD + 14}" dy="{LINE}">{escape(line)}</tspan>' for line in more
        )
        parts += [
            f'<a href={quoteattr(href(use.claim, HERE))} class="use">',
            f"<title>{escape(use.title)}</title>",
            f'<rect x="{PAD}" y="{y}" width="{width - 2 * PAD}" height="{tall}" '
            'fill="#ffffff" stroke="#e4e4e4"/>',
            f'<rect x="{PAD}" y="{y}" width="6" height="{tall}" fill="{ink}"/>',
            f'<text x="{PAD + 14}" y="{y + 17.5}" fill="#0645ad" text-decoration="underline">'
            f"{label}</text>",
            f'<rect x="{round(left + COLUMN * column + 24, 1)}" y="{y + 3}" '
            f'width="{COLUMN - 48}" height="{ROW - 6}" rx="4" fill="{CELL_FILLS[column]}" '
            + ('stroke="#555" stroke-dasharray="3 2"/>' if use.certainty is None else "/>"),
            _text(
                centre[column],
                y + 17.5,
                use.count,
                text_anchor="middle",
                font_weight="700",
                fill=CELL_TEXT[column],
                class_="items",
            ),
            "</a>",
        ]
        y += tall
    parts += [
        _text(
            PAD,
            y + 26,
            "The number in a row is how many evidence items the use cites "
            "(product labels, agency records, publications, trial registrations). "
            "Darker: more certain.",
        ),
        _text(
            PAD,
            y + 44,
            f"{MARK} Some of the use's evidence items did not show a plain benefit (no benefit, "
            "mixed or inconclusive): open the row for their findings.",
        ),
        _text(
            PAD,
            y + 62,
            "Not assessed: no certainty of the body of evidence is recorded for "
            "the use (the data grades off-label uses for conditions); it is not a grade.",
        ),
        _text(
            PAD,
            y + 80,
            "Status is per drug form, condition or procedure and jurisdiction; "
            "open a row for its evidence, approvals and sources.",
        ),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
