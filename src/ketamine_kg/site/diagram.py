"""The model as an SVG diagram.

Classes are boxes listing the literal- and concept-valued properties their instances use;
object properties are labelled arrows between the classes the data links with them.
Deterministic: a fixed radial layout, the claim class at the centre and the other classes on
an ellipse in a fixed order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from xml.sax.saxutils import escape

import pyoxigraph as ox

from ketamine_kg import rdf
from ketamine_kg.config import graph_iri
from ketamine_kg.vocab import KKO, OWL, RDF, SKOS

CENTRE = KKO.TherapeuticUseClaim
#: Clockwise from the top, so that classes linked to each other (not only to claims) are
#: neighbours and no arrow crosses the centre; classes not listed follow in name order.
RING = [
    KKO.term(local)
    for local in (
        "BenefitAssertion",
        "EvidenceItem",
        "DoseRegimen",
        "Drug",
        "DrugProduct",
        "RegulatoryApproval",
        "RegulatoryAgency",
        "MedicalProcedure",
        "MedicalCondition",
        "SourceDocument",
        "CurationAgent",
    )
]
WIDTH, HEIGHT = 1400, 1000
CHAR = 7.6  # average glyph width at 12px
LINE = 15


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


USAGE = f"""
SELECT DISTINCT ?p ?a ?b ?literal WHERE {{
  GRAPH <{graph_iri("data")}> {{ ?s ?p ?o . ?s a ?a }}
  OPTIONAL {{ ?o a ?b }}
  BIND(isLiteral(?o) AS ?literal)
  FILTER(STRSTARTS(STR(?p), "{KKO.NS}"))
}}"""


def usage(store: ox.Store) -> list[tuple[str, str, str | None, bool]]:
    """(property, subject class, object class, object is a literal) as used in the data."""
    return [
        (r["p"].value, r["a"].value, r["b"].value if r["b"] else None, r["literal"].value == "true")
        for r in rdf.select(store, USAGE, use_default_graph_as_union=True)
    ]


def _model(
    ontology: list[ox.Triple], used: list[tuple[str, str, str | None, bool]]
) -> tuple[list[str], dict[str, list[str]], dict]:
    """Classes, attribute lines by class (literal- and concept-valued properties), and
    object-property names by (class, class).
    """
    classes = sorted(
        rdf.text(t.subject)
        for t in ontology
        if t.predicate.value == RDF.type
        and rdf.text(t.object) == OWL.Class
        and rdf.text(t.subject).startswith(KKO.NS)
    )
    attributes: dict[str, set[str]] = defaultdict(set)
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for prop, subject_class, object_class, literal in used:
        if subject_class not in classes:
            continue
        if literal:
            attributes[subject_class].add(_local(prop))
        elif object_class == SKOS.Concept:
            attributes[subject_class].add(_local(prop) + " \u2192 concept")
        elif object_class in classes:
            edges[(subject_class, object_class)].add(_local(prop))
    return (
        classes,
        {c: sorted(a) for c, a in attributes.items()},
        {pair: sorted(names) for pair, names in edges.items()},
    )


def _boxes(classes: list[str], attributes: dict[str, list[str]]) -> dict[str, tuple]:
    """Centre, width and height of each class box."""
    ring = [c for c in RING if c in classes] + [c for c in classes if c not in [*RING, CENTRE]]
    boxes = {}
    for cls in [CENTRE, *ring] if CENTRE in classes else ring:
        lines = [_local(cls), *attributes.get(cls, [])]
        w = max(len(lines[0]) * 1.12, *map(len, lines)) * CHAR + 24
        h = LINE * len(lines) + 14 + (6 if len(lines) > 1 else 0)
        if cls == CENTRE:
            x, y = WIDTH / 2, HEIGHT / 2
        else:
            angle = 2 * math.pi * ring.index(cls) / len(ring) - math.pi / 2
            x = WIDTH / 2 + 560 * math.cos(angle)
            y = HEIGHT / 2 + 390 * math.sin(angle)
        boxes[cls] = (round(x, 1), round(y, 1), round(w, 1), round(h, 1))
    return boxes


def _border(box: tuple, towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards a point leaves the box."""
    x, y, w, h = box
    dx, dy = towards[0] - x, towards[1] - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(
        (w / 2) / abs(dx) if dx else math.inf,
        (h / 2) / abs(dy) if dy else math.inf,
    )
    return round(x + dx * scale, 1), round(y + dy * scale, 1)


def _text(x: float, y: float, text: str, css: str) -> str:
    return f'<text x="{x}" y="{y}" class="{css}">{escape(text)}</text>'


def model_svg(ontology: list[ox.Triple], used: list[tuple[str, str, str | None, bool]]) -> str:
    """The SVG document of the ontology's classes and how the data uses its properties."""
    classes, attributes, edges = _model(ontology, used)
    boxes = _boxes(classes, attributes)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">',
        "<title>The ketamine-kg model: classes, the properties their instances use, "
        "and the properties that link instances of one class to another</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        "<style>text{font:12px system-ui,sans-serif;fill:#1b1b1b}"
        ".cls{font-weight:700}.attr{fill:#444}.edge{fill:#0b4f8a}"
        ".lbl{paint-order:stroke;stroke:#fff;stroke-width:4px}"
        "rect{fill:#f4f8fc;stroke:#0b4f8a;stroke-width:1.5}"
        "line,path.loop{stroke:#555;stroke-width:1.2;fill:none}</style>",
    ]
    labels = []
    for (source, target), names in sorted(edges.items()):
        label = ", ".join(names)
        sx, sy, _, sh = boxes[source]
        if source == target:
            top = round(sy - sh / 2, 1)
            left, right, up = round(sx - 20, 1), round(sx + 20, 1), round(top - 50, 1)
            parts.append(
                f'<path class="loop" d="M {left} {top} C {round(sx - 40, 1)} {up}, '
                f'{round(sx + 40, 1)} {up}, {right} {top}" marker-end="url(#arrow)"/>'
            )
            x, y = round(sx - len(label) * CHAR / 2, 1), round(top - 42, 1)
            labels.append(_text(x, y, label, "edge lbl"))
            continue
        tx, ty = boxes[target][:2]
        x1, y1 = _border(boxes[source], (tx, ty))
        x2, y2 = _border(boxes[target], (sx, sy))
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" marker-end="url(#arrow)"/>')
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        labels.append(
            _text(round(mx - len(label) * CHAR / 2, 1), round(my - 4, 1), label, "edge lbl")
        )
    for cls in classes:
        x, y, w, h = boxes[cls]
        parts.append(
            f'<rect x="{round(x - w / 2, 1)}" y="{round(y - h / 2, 1)}" '
            f'width="{w}" height="{h}" rx="6"/>'
        )
        top = y - h / 2 + LINE + 2
        parts.append(_text(round(x - w / 2 + 12, 1), round(top, 1), _local(cls), "cls"))
        for i, attribute in enumerate(attributes.get(cls, [])):
            line_y = round(top + 6 + LINE * (i + 1), 1)
            parts.append(_text(round(x - w / 2 + 12, 1), line_y, attribute, "attr"))
    parts += labels
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
