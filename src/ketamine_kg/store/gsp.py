"""A small client for a remote store: SPARQL 1.1 Graph Store HTTP Protocol and Protocol queries.

Standard library only (urllib), with per-request timeouts and retries with exponential backoff
for connection failures and 5xx answers. Credentials go by HTTP digest auth, or by basic auth
over https only (basic auth sends the password in the clear). A redirected write (or POSTed
query) is refused, naming the new location: urllib would follow a 301/302/303 with a body-less
GET, so the write would silently not happen. Messages name the URL and the user, never the
password.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import IO, Any

from ketamine_kg.errors import KetamineKgError

N_TRIPLES = "application/n-triples"
RESULTS_JSON = "application/sparql-results+json"
RETRYABLE = {500, 502, 503, 504}


class StoreError(KetamineKgError):
    """The remote store could not be reached, refused the credentials or the request.

    `status` is the HTTP status of a refused request (None for other failures).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credentials:
    """A store account; its repr never shows the password."""

    user: str
    password: str

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"Credentials(user={self.user!r})"


class _BasicAuthOverTls(urllib.request.HTTPBasicAuthHandler):
    """Answers a basic-auth challenge only for an https request."""

    def http_error_401(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage
    ) -> object:
        if req.type != "https":
            return None  # the 401 stands: "authentication failed"
        return super().http_error_401(req, fp, code, msg, headers)


class _NoRedirectedWrites(urllib.request.HTTPRedirectHandler):
    """Follows redirects of GET and HEAD only; refuses the others with a StoreError."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        method = req.get_method()
        if method in ("GET", "HEAD"):
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        fp.close()
        raise StoreError(
            f"{method} {req.full_url.split('?', 1)[0]} was redirected ({code} {msg}) to "
            f"{newurl.split('?', 1)[0]}: give that URL instead (a redirected {method} is not "
            "followed, as it could silently lose its body)",
            code,
        )


class StoreClient:
    """Talks to one Graph Store endpoint (writes) and one SPARQL query endpoint (reads)."""

    def __init__(
        self,
        gsp_url: str,
        sparql_url: str,
        credentials: Credentials | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.gsp_url, self.sparql_url = gsp_url, sparql_url
        self.credentials = credentials
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        handlers: list[urllib.request.BaseHandler] = [_NoRedirectedWrites()]
        if credentials:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {gsp_url, sparql_url}:
                passwords.add_password(None, url, credentials.user, credentials.password)
            handlers += [
                urllib.request.HTTPDigestAuthHandler(passwords),
                _BasicAuthOverTls(passwords),
            ]
        self._opener = urllib.request.build_opener(*handlers)

    # -- Graph Store Protocol ---------------------------------------------------------------

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace the content of `graph` (GSP PUT)."""
        self._request("PUT", self._graph_url(graph), ntriples, {"Content-Type": N_TRIPLES})

    def post_graph(self, graph: str, ntriples: bytes) -> None:
        """Add triples to `graph` (GSP POST)."""
        self._request("POST", self._graph_url(graph), ntriples, {"Content-Type": N_TRIPLES})

    def get_graph(self, graph: str) -> bytes:
        """The content of `graph` as N-Triples (empty for a graph the store does not have)."""
        try:
            return self._request("GET", self._graph_url(graph), None, {"Accept": N_TRIPLES})
        except StoreError as exc:
            if exc.status == 404:
                return b""
            raise

    def _graph_url(self, graph: str) -> str:
        # Virtuoso names the parameter graph-uri; the GSP recommendation calls it graph.
        key = "graph-uri" if "sparql-graph-crud" in self.gsp_url else "graph"
        sep = "&" if "?" in self.gsp_url else "?"
        return f"{self.gsp_url}{sep}{urllib.parse.urlencode({key: graph})}"

    # -- SPARQL Protocol --------------------------------------------------------------------

    def query(
        self,
        text: str,
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
        accept: str = RESULTS_JSON,
    ) -> bytes:
        """POST a query (form-encoded) with an explicit dataset; the raw response body."""
        fields = [("query", text)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        return self._request("POST", self.sparql_url, body, headers)

    def select(
        self, text: str, default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """SPARQL results JSON of a SELECT or ASK query."""
        body = self.query(text, default_graphs, named_graphs)
        try:
            return json.loads(body)
        except ValueError:  # also UnicodeDecodeError
            raise StoreError(
                f"{self.sparql_url} did not answer with SPARQL results JSON: {body[:100]!r}"
            ) from None

    # -- transport --------------------------------------------------------------------------

    def _request(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> bytes:
        where = url.split("?", 1)[0]
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                with exc:
                    detail = exc.read()[:300].decode("utf-8", "replace").strip()
                if exc.code == 401:
                    challenge = exc.headers.get("WWW-Authenticate", "")
                    raise StoreError(self._auth_message(where, challenge), 401) from None
                if exc.code not in RETRYABLE or attempt == self.retries:
                    raise StoreError(
                        f"{method} {where} failed: HTTP {exc.code} {exc.reason}"
                        + (f": {detail}" if detail else ""),
                        exc.code,
                    ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise StoreError(
                        f"cannot reach {where}: {reason} "
                        f"(after {self.retries + 1} attempt{'s' if self.retries else ''})"
                    ) from None
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _auth_message(self, where: str, challenge: str) -> str:
        if self.credentials is None:
            return (
                f"{where} requires authentication: set KETAMINE_KG_STORE_USER and "
                "KETAMINE_KG_STORE_PASSWORD (or --password-file)"
            )
        if where.lower().startswith("http://") and challenge.lower().startswith("basic"):
            return (
                f"{where} asks for basic authentication, which would send the password in the "
                "clear over http: use https, or an endpoint with digest authentication"
            )
        return f"authentication failed for {where} as user {self.credentials.user!r}"
