"""The diff document as a readable changelog (Markdown) or as JSON."""

from __future__ import annotations

import json
from typing import Any

from ketamine_kg.config import DERIVED_GRAPHS, SOURCE_GRAPHS
from ketamine_kg.release.diff import SECTIONS, has_semantic_changes
from ketamine_kg.vocab import curie


def render_json(doc: dict[str, Any]) -> str:
    """The diff document as JSON: sorted keys, two-space indent, UTF-8 text."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_markdown(doc: dict[str, Any]) -> str:
    """The diff as a CHANGELOG entry: release table, status changes first, then each section."""
    old, new = doc["old"], doc["new"]
    lines = [
        f"## [{new['version'] or 'unversioned'}] - {new['modified'] or 'undated'}",
        "",
        f"Changes from {old['version'] or 'an unversioned release'} ({_source(old)}) "
        f"to {new['version'] or 'an unversioned release'} ({_source(new)}), compared as RDF.",
        "",
        "| | old | new |",
        "|---|---|---|",
    ]
    for name in ("version", "issued", "modified"):
        lines.append(f"| {name} | {old[name] or '—'} | {new[name] or '—'} |")
    for graph in sorted(old["triples"].keys() | new["triples"].keys(), key=_graph_order):
        counts = [str(r["triples"].get(graph, 0)) for r in (old, new)]
        lines.append(f"| triples: {graph} | {counts[0]} | {counts[1]} |")
    mappings = ["—" if r["mappings"] is None else str(r["mappings"]) for r in (old, new)]
    lines += [f"| SSSOM mappings | {mappings[0]} | {mappings[1]} |", ""]
    if not has_semantic_changes(doc):
        header_only = "; only the release header (version or dates) differs"
        # `--exit-code` reports any difference, so the text says when it is the header alone.
        lines += [f"No semantic changes{header_only if doc['changed'] else ''}.", ""]
    else:
        lines += ["| | added | removed | changed |", "|---|---|---|---|"]
        for name, title in (*SECTIONS.items(), ("mappings", "Mappings")):
            counts = doc["summary"][name]
            lines.append(
                f"| {title} | {counts['added']} | {counts['removed']} | {counts['changed']} |"
            )
        safety = doc["summary"]["safety_changes"]
        lines.append(
            f"| Safety statements | {safety['added']} | {safety['removed']} | {safety['changed']} |"
        )
        edges = doc["summary"]["direct_edges"]
        lines += [f"| Derived edges | {edges['added']} | {edges['removed']} | — |", ""]
    lines += _status_lines(doc["status_changes"])
    lines += _safety_lines(doc["safety_changes"])
    for name, title in SECTIONS.items():
        lines += _section_lines(title, doc[name], name == "claims")
    lines += _mapping_lines(doc["mappings"])
    lines += _edge_lines(doc["direct_edges"])
    if doc["notes"]:
        lines += ["### Notes", "", *(f"- {note}" for note in doc["notes"]), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _source(release: dict[str, Any]) -> str:
    commit = release["commit"]
    return f"`{release['source']}`" + (f", commit {commit[:12]}" if commit else "")


def _graph_order(graph: str) -> tuple[int, str]:
    """Publication order of the named graphs, then other graphs, then the total."""
    known = (*SOURCE_GRAPHS, *DERIVED_GRAPHS)
    rank = known.index(graph) if graph in known else len(known) + (graph == "total")
    return (rank, graph)


def _md(value: dict[str, Any] | None) -> str:
    """A JSON value in Markdown: `curie` (label), a quoted literal, or blank node content."""
    if value is None:
        return "(none)"
    if value["type"] == "iri":
        label = f" ({value['label']})" if value["label"] else ""
        return f"`{value['curie']}`{label}"
    if value["type"] == "blank":
        return f"`{value['value']}`"
    text = " ".join(value["value"].split())
    text = text if len(text) <= 160 else text[:159] + "…"
    suffix = f"@{value['language']}" if value["language"] not in (None, "en") else ""
    suffix += f"^^{curie(value['datatype'])}" if value["datatype"] else ""
    return json.dumps(text, ensure_ascii=False) + suffix


def _name(value: dict[str, Any] | None) -> str:
    """The label of a value, else its Markdown form."""
    return value["label"] if value and value.get("label") else _md(value)


def _use(status: dict[str, Any]) -> str:
    qualifiers = [_name(status[k]) for k in ("jurisdiction", "phase", "certainty") if status.get(k)]
    return _name(status["status"]) + (f" ({', '.join(qualifiers)})" if qualifiers else "")


def _status_lines(changes: list[dict[str, Any]]) -> list[str]:
    if not changes:
        return []
    lines = ["### Status and certainty changes", ""]
    for change in changes:
        before = "; ".join(_use(s) for s in change["old"])
        after = "; ".join(_use(s) for s in change["new"])
        claims = ", ".join(f"`{c}`" for c in change["claims"])
        lines.append(
            f"- **{_name(change['drug'])} — {_name(change['target'])}**: "
            f"{before} → **{after}** ({claims})"
        )
    return [*lines, ""]


def _safety_text(entry: dict[str, Any]) -> str:
    subject = ", ".join(_name(v) for v in entry["subject"]) or "(no subject)"
    about = ", ".join(_name(v) for v in entry["about"])
    where = "; ".join(
        part
        for part in (
            ", ".join(v["value"] for v in entry["section"]),
            "version " + ", ".join(v["value"] for v in entry["version"])
            if entry["version"]
            else "",
        )
        if part
    )
    text = f"**{subject} — {_name(entry['kind'])}" + (f": {about}" if about else "") + "**"
    return text + (f" ({where})" if where else "") + f" (`{entry['curie']}`)"


def _safety_lines(changes: dict[str, list[dict[str, Any]]]) -> list[str]:
    if not any(changes.values()):
        return []
    lines = ["### Safety changes", ""]
    for kind in ("added", "removed"):
        lines += [f"- {kind}: {_safety_text(e)}" for e in changes[kind]]
    for entry in changes["changed"]:
        properties = ", ".join(f"`{p}`" for p in entry["properties"])
        lines.append(f"- changed: {_safety_text(entry)}: {properties}")
    return [*lines, ""]


def _claim_text(claim: dict[str, Any]) -> str:
    target = claim["condition"] or claim["procedure"]
    return f"{_name(claim['drug'])} → {_name(target)}, {_use(claim)}"


def _heading(entry: dict[str, Any]) -> str:
    label = f" ({entry['label']})" if entry["label"] else ""
    return f"`{entry['curie']}`{label}"


def _section_lines(title: str, changes: dict[str, list], claims: bool) -> list[str]:
    if not any(changes.values()):
        return []
    lines = [f"### {title}", ""]
    for kind in ("added", "removed"):
        if changes[kind]:
            lines += [f"#### {kind.capitalize()}", ""]
            for entry in changes[kind]:
                if claims:
                    detail = _claim_text(entry["claim"])
                else:
                    detail = ", ".join(_md(t) for t in entry["properties"].get("rdf:type", []))
                lines.append(f"- {_heading(entry)}" + (f": {detail}" if detail else ""))
            lines.append("")
    if changes["changed"]:
        lines += ["#### Changed", ""]
        for entry in changes["changed"]:
            detail = f": {_claim_text(entry['claim'])}" if claims else ""
            lines.append(f"- {_heading(entry)}{detail}")
            lines += [
                f"  - `{c['curie']}`: {_value_change(c['old'], c['new'])}" for c in entry["changes"]
            ]
        lines.append("")
    return lines


def _value_change(old: list[dict], new: list[dict]) -> str:
    if len(old) <= 1 and len(new) <= 1:
        return f"{_md(old[0] if old else None)} → {_md(new[0] if new else None)}"
    added = [_md(v) for v in new if v not in old]
    removed = [_md(v) for v in old if v not in new]
    parts = ([f"added {', '.join(added)}"] if added else []) + (
        [f"removed {', '.join(removed)}"] if removed else []
    )
    return "; ".join(parts)


def _mapping_lines(mappings: dict[str, Any]) -> list[str]:
    if not any(mappings[k] for k in ("added", "removed", "changed")):
        return []

    def head(m: dict[str, Any]) -> str:
        label = f" ({m['object_label']})" if m["object_label"] else ""
        return f"`{m['subject_id']}` {m['predicate_id']} `{m['object_id']}`{label}"

    lines = ["### Mappings", ""]
    for kind in ("added", "removed"):
        if mappings[kind]:
            lines += [f"#### {kind.capitalize()}", "", *(f"- {head(m)}" for m in mappings[kind])]
            lines.append("")
    if mappings["changed"]:
        lines += ["#### Changed", ""]
        for m in mappings["changed"]:
            diffs = "; ".join(
                f"{column} {json.dumps(d['old'], ensure_ascii=False)} → "
                f"{json.dumps(d['new'], ensure_ascii=False)}"
                for column, d in sorted(m["changes"].items())
            )
            lines.append(f"- {head(m)}: {diffs}")
        lines.append("")
    return lines


def _edge_lines(edges: dict[str, list]) -> list[str]:
    lines = []
    for kind in ("added", "removed"):
        if edges[kind]:
            lines += [f"#### {kind.capitalize()}", ""]
            lines += [
                f"- {_md(e['subject'])} `{e['predicate']['curie']}` {_md(e['object'])}"
                for e in edges[kind]
            ]
            lines.append("")
    return ["### Derived edges", "", *lines] if lines else []
