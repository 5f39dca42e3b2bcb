"""HTTP content negotiation: Accept header parsing with q-values."""

from __future__ import annotations


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, most preferred first (stable for equal q)."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, specificity, index))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(m, q) for m, q, _, _ in ranges]


def _matches(media_range: str, offered: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return offered.split("/")[0] == media_range[:-2]
    return media_range == offered


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """The offered type the client prefers most (ties go to the server's order), or None.

    >>> negotiate("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", ["text/turtle", "text/html"])
    'text/html'
    >>> negotiate("application/json;q=0.1, text/csv", ["application/json", "text/csv"])
    'text/csv'
    >>> negotiate("image/png", ["text/turtle"]) is None
    True
    """
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for offer in offered:
        # the q of an offer is that of the most specific range matching it
        q = next(
            (q for media, q in sorted(ranges, key=_specific_first) if _matches(media, offer)), 0.0
        )
        if q > best_q:
            best, best_q = offer, q
    return best


def _specific_first(item: tuple[str, float]) -> int:
    media = item[0]
    return 2 if media == "*/*" else 1 if media.endswith("/*") else 0
