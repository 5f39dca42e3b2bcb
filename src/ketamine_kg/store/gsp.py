"""A small client for a remote store: SPARQL 1.1 Graph Store HTTP Protocol and Protocol queries.

Standard library only (urllib), with per-request timeouts and retries with exponential backoff
for connection failures and 5xx answers. Credentials go by HTTP digest auth, or by basic auth
over https only (basic auth sends the password in the clear). A redirected write (or POSTed
query) is refused, naming the new location: urllib would follow a 301/302/303 with a body-less
GET, so the write would silently not happen. An answer the store says it cut at a row limit
(Virtuoso's `X-SPARQL-MaxRows` header, sent with status 200) is refused: the caller would take it
for the whole answer. Messages name the URL and the user, never the password.
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
CUT_HEADER = "X-SPARQL-MaxRows"  # Virtuoso: the answer was cut at ResultSetMaxRows
CHUNK_TRIPLES = 100_000  # per write request (docs/running-at-scale.md: measured)
PAGE_TRIPLES = 5_000  # per read-back request: half of the documented ResultSetMaxRows


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


class _Digest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once a host has challenged, sends credentials unasked.

    A store answers a request without them with 401 before reading its body, and may close
    the connection: a large body (a 2 MB write, a long query) is then cut off, the challenge is
    never read, and the request fails as "connection reset" or "broken pipe" (Virtuoso 7.2).
    """

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.challenges: dict[str, dict[str, str]] = {}  # host -> its last digest challenge

    def retry_http_digest_auth(self, req: urllib.request.Request, auth: str) -> object:
        """Remember the challenge, then answer it."""
        fields = urllib.request.parse_http_list(auth.split(" ", 1)[-1])
        self.challenges[req.host] = urllib.request.parse_keqv_list([f for f in fields if f])
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        """Answer the host's last challenge in advance (a fresh one is answered as usual)."""
        challenge = self.challenges.get(req.host)
        if challenge and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


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
    """Talks to one Graph Store endpoint (writes) and one SPARQL query endpoint (reads).

    `chunk_triples`: triples per write when a graph is loaded in parts; `page_triples`: per
    read-back query (below the store's row limit, which Virtuoso applies to every answer).
    """

    def __init__(
        self,
        gsp_url: str,
        sparql_url: str,
        credentials: Credentials | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        chunk_triples: int = CHUNK_TRIPLES,
        page_triples: int = PAGE_TRIPLES,
    ) -> None:
        self.gsp_url, self.sparql_url = gsp_url, sparql_url
        self.chunk_triples, self.page_triples = chunk_triples, page_triples
        self.credentials = credentials
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        handlers: list[urllib.request.BaseHandler] = [_NoRedirectedWrites()]
        self._digest: _Digest | None = None
        if credentials:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {gsp_url, sparql_url}:
                passwords.add_password(None, url, credentials.user, credentials.password)
            self._digest = _Digest(passwords)
            handlers += [self._digest, _BasicAuthOverTls(passwords)]
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
        host = urllib.parse.urlsplit(url).netloc
        for attempt in range(self.retries + 1):
            if body and self._digest is not None and host not in self._digest.challenges:
                self._challenge(url)
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    cut = response.headers.get(CUT_HEADER)
                    if cut is not None:
                        raise StoreError(
                            f"{method} {where}: the store cut its answer at {cut} rows "
                            f"({CUT_HEADER}; Virtuoso's ResultSetMaxRows)"
                        )
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
                if self._digest is not None:  # perhaps a stale challenge: get a fresh one
                    self._digest.challenges.pop(host, None)
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise StoreError(
                        f"cannot reach {where}: {reason} "
                        f"(after {self.retries + 1} attempt{'s' if self.retries else ''})"
                    ) from None
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _challenge(self, url: str) -> None:
        """Have the store challenge us with a body-less request (HEAD), so that the request
        with a body answers the challenge in advance (see _Digest); its answer is ignored.
        """
        try:
            head = urllib.request.Request(url, method="HEAD")
            self._opener.open(head, timeout=self.timeout).close()
        except urllib.error.HTTPError as exc:
            exc.close()
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            pass  # the request itself will fail, and say why

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
