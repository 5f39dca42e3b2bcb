"""The Accept-header matrix every implementation of the routing table must answer alike:
`ketamine-kg serve` (test_server.py) and the generated nginx and Apache rules
(test_redirects.py). Each row: the Accept header (None: no header) and the document extension
it gets."""

from __future__ import annotations

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

ACCEPT_MATRIX = [
    (CHROME, "html"),
    (FIREFOX, "html"),
    ("*/*", "html"),
    (None, "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdf"),
    ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.95", "ttl"),
    ("text/html;q=0.1, application/n-triples;q=0.2", "nt"),
    # plain JSON asks for the JSON-LD (served as application/ld+json): at its own q, even when
    # application/ld+json itself is ranked lower or not named
    ("application/json", "jsonld"),
    ("text/turtle;q=0.5, application/json", "jsonld"),
    ("application/json;q=0.5, text/turtle", "ttl"),
    ("application/ld+json;q=0.1, application/json;q=0.9, text/turtle;q=0.5", "jsonld"),
    ("application/json, text/javascript, */*; q=0.01", "jsonld"),  # jQuery's getJSON
]
#: Offered nothing it accepts: 406.
UNACCEPTABLE = "image/png"
