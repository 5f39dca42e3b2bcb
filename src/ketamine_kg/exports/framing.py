"""Framing helpers for the JSON-LD views: embed linked nodes of the compacted release.

A spec says how deep to embed each key of a node: a nested spec embeds the linked node (and
its keys by that spec), None embeds it as {id, type, label}; keys outside the spec stay as they
are. The same spec written as a JSON-LD frame (`frame`, `view_frame`) makes a JSON-LD
processor (pyld, jsonld.js) frame the dump into the same views; the release publishes those
frames (tests/test_frames.py re-frames the dump with them).
"""

from __future__ import annotations

from typing import Any

#: How deep to embed each key: a nested spec embeds the whole node, None embeds {id, type,
#: label} (framing always keeps a node's type).
Spec = dict[str, "Spec | None"]


def embed(value: Any, nodes: dict[str, dict], spec: Spec | None) -> Any:
    """`value` (an id, a list of ids, or a literal) with each known id embedded by `spec`."""
    if isinstance(value, list):
        return [embed(v, nodes, spec) for v in value]
    if not isinstance(value, str) or value not in nodes:
        return value
    node = nodes[value]
    if spec is None:
        return {key: node[key] for key in ("id", "type", "label") if key in node}
    return {k: embed(v, nodes, spec[k]) if k in spec else v for k, v in node.items()}


#: Frame flags of an embedded node: embedded wherever it is linked (as `embed` does), only the
#: keys the frame names, no key for a value the node lacks, and any node matches (`"@id": {}`).
EMBEDDED = {"@embed": "@always", "@explicit": True, "@omitDefault": True, "@id": {}}
#: The frame of a key outside the spec: its values stay as they are (node references).
AS_IS = {"@embed": "@never", "@omitDefault": True}


def frame(
    spec: Spec | None, targets: list[dict], nodes: dict[str, dict], drop: str | None = None
) -> dict:
    """The frame that embeds nodes like `targets` as `nested(…, spec, drop)` does.

    JSON-LD framing always copies a node's id and type, and with @explicit only the keys the
    frame names: so the frame names every key the targets have (read from the data), each
    embedded by the spec or kept as it is, except `drop`.
    """
    if spec is None:
        return {**EMBEDDED, "label": {"@omitDefault": True}}
    return {**EMBEDDED, **_key_frames(spec, targets, nodes, drop)}


def view_frame(
    context: dict,
    node_type: str,
    spec: Spec,
    targets: list[dict],
    nodes: dict[str, dict],
    reverse: dict[str, dict],
) -> dict:
    """The frame of a view document: each node of `node_type` (add an "id" for one), its keys
    embedded by `spec`, and the frames of its `reverse` keys (terms of `context`).
    """
    keys = _key_frames(spec, targets, nodes, None)
    flags = {"@explicit": True, "@omitDefault": True}
    return {"@context": context, "@type": node_type, **flags, **keys, **reverse}


def _key_frames(spec: Spec, targets: list[dict], nodes: dict[str, dict], drop: str | None) -> dict:
    frames = {}
    for key in sorted({k for node in targets for k in node} - {"id", "type", drop}):
        if key not in spec:
            frames[key] = AS_IS
            continue
        values = [v for node in targets for v in _as_list(node.get(key))]
        linked = [nodes[v] for v in values if isinstance(v, str) and v in nodes]
        frames[key] = frame(spec[key], linked, nodes)
    return frames


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def referrers(graph: list[dict], node_type: str, key: str) -> dict[str, list[str]]:
    """Target id -> ids of the nodes of `node_type` whose `key` names it."""
    found: dict[str, list[str]] = {}
    for node in graph:
        if node.get("type") == node_type and key in node:
            targets = node[key] if isinstance(node[key], list) else [node[key]]
            for target in targets:
                found.setdefault(target, []).append(node["id"])
    return found


def nested(node: dict, nodes: dict[str, dict], spec: Spec, drop: str | None = None) -> dict:
    """A node with the keys in `spec` embedded and the back-reference `drop` left out."""
    return {k: embed(v, nodes, spec[k]) if k in spec else v for k, v in node.items() if k != drop}
