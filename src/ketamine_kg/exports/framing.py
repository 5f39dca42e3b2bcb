"""Framing helpers for the JSON-LD views: embed linked nodes of the compacted release.

A spec says how deep to embed each key of a node: a nested spec embeds the linked node (and
its keys by that spec), None embeds it as {id, label}; keys outside the spec stay as they are.
"""

from __future__ import annotations

from typing import Any

#: How deep to embed each key: a nested spec embeds the whole node, None embeds {id, label}.
Spec = dict[str, "Spec | None"]


def embed(value: Any, nodes: dict[str, dict], spec: Spec | None) -> Any:
    """`value` (an id, a list of ids, or a literal) with each known id embedded by `spec`."""
    if isinstance(value, list):
        return [embed(v, nodes, spec) for v in value]
    if not isinstance(value, str) or value not in nodes:
        return value
    node = nodes[value]
    if spec is None:
        return {"id": value, "label": node.get("label", "")}
    return {k: embed(v, nodes, spec[k]) if k in spec else v for k, v in node.items()}


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
