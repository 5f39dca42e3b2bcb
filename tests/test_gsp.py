"""gsp.StoreClient against real local HTTP(S) servers (http.server in a thread), no mocks."""

from __future__ import annotations

import base64
import http.server
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ketamine_kg.store.gsp import Credentials, StoreClient, StoreError

# (method, path) -> (status, headers, body)
Answer = tuple[int, dict[str, str], bytes]


class Server:
    """A loopback HTTP(S) server answering every request with `respond`; records requests."""

    def __init__(self, respond: Callable[[str, str, dict[str, str]], Answer], tls=None) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                headers = dict(self.headers.items())
                outer.requests.append((self.command, self.path, headers))
                status, extra, body = respond(self.command, self.path, headers)
                self.send_response(status)
                for key, value in {**extra, "Content-Length": str(len(body))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(respond: Callable[[str, str, dict[str, str]], Answer], tls=None) -> Server:
        servers.append(Server(respond, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def client(server: Server, credentials: Credentials | None = None) -> StoreClient:
    return StoreClient(server.url + "/gsp", server.url + "/sparql", credentials, retries=0)


SECRET = Credentials("publisher", "s3cret-pw")
BASIC = "Basic " + base64.b64encode(b"publisher:s3cret-pw").decode()


def basic_protected(method: str, path: str, headers: dict[str, str]) -> Answer:
    if headers.get("Authorization") == BASIC:
        return 200, {"Content-Type": "application/n-triples"}, b"<urn:a> <urn:b> <urn:c> .\n"
    return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b""


def test_basic_auth_is_not_offered_over_http(serve):
    server = serve(basic_protected)
    with pytest.raises(StoreError, match=r"basic authentication.*clear over http") as error:
        client(server, SECRET).get_graph("urn:g")
    assert error.value.status == 401
    assert all("Authorization" not in headers for _, _, headers in server.requests)
    assert "s3cret-pw" not in str(error.value)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_basic_auth_is_offered_over_https(serve, tmp_path: Path, monkeypatch):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this server
    server = serve(basic_protected, tls)
    assert client(server, SECRET).get_graph("urn:g") == b"<urn:a> <urn:b> <urn:c> .\n"
    assert [h.get("Authorization") for _, _, h in server.requests] == [None, BASIC]


def _digest_protected(method: str, path: str, headers: dict[str, str]) -> Answer:
    """A store that takes only digest credentials: 401 with its challenge, else 200."""
    if headers.get("Authorization", "").startswith("Digest "):
        return 200, {}, b""
    challenge = 'Digest realm="store", nonce="abc123", qop="auth", algorithm="MD5"'
    return 401, {"WWW-Authenticate": challenge}, b""


def test_digest_auth_is_offered_over_http(serve):
    server = serve(_digest_protected)
    client(server, SECRET).put_graph("urn:g", b"<urn:a> <urn:b> <urn:c> .\n")
    answer = server.requests[-1][2]["Authorization"]
    assert answer.startswith('Digest username="publisher"') and "s3cret-pw" not in answer


def test_a_body_is_sent_only_with_digest_credentials(serve):
    """A store may answer a request without credentials with 401 before reading its body, and
    close the connection (Virtuoso): a large write then failed as "connection reset". The
    client learns the challenge with a body-less HEAD and answers it in advance.
    """

    server = serve(_digest_protected)
    store = client(server, SECRET)
    store.put_graph("urn:g", b"<urn:a> <urn:b> <urn:c> .\n")
    store.post_graph("urn:g", b"<urn:a> <urn:b> <urn:d> .\n")
    sent = [(m, "Authorization" in h) for m, _, h in server.requests]
    assert sent == [("HEAD", False), ("HEAD", True), ("PUT", True), ("POST", True)]
    counts = [
        re.search(r"nc=(\w+)", h["Authorization"]).group(1) for _, _, h in server.requests[1:]
    ]
    assert counts == ["00000001", "00000002", "00000003"]  # one nonce, counted up


def test_an_answer_the_store_cut_is_refused(serve):
    cut = {"Content-Type": "application/n-triples", "X-SPARQL-MaxRows": "10000"}
    server = serve(lambda *_: (200, cut, b"<urn:a> <urn:b> <urn:c> .\n"))
    with pytest.raises(StoreError, match="the store cut its answer at 10000 rows"):
        client(server).query("CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(StoreError, match="cut its answer"):
        client(server).get_graph("urn:g")


def redirecting(method: str, path: str, headers: dict[str, str]) -> Answer:
    if path.startswith("/moved"):
        return 200, {"Content-Type": "application/n-triples"}, b"<urn:a> <urn:b> <urn:c> .\n"
    return 302, {"Location": "/moved" + path}, b""


@pytest.mark.parametrize("write", ["put_graph", "post_graph"])
def test_a_redirected_write_is_refused_naming_the_new_location(serve, write):
    server = serve(redirecting)
    with pytest.raises(StoreError, match=f"redirected .*to {server.url}/moved/gsp") as error:
        getattr(client(server), write)("urn:g", b"<urn:a> <urn:b> <urn:c> .\n")
    assert error.value.status == 302
    assert [(m, p.split("?")[0]) for m, p, _ in server.requests] == [(write[:-6].upper(), "/gsp")]


def test_a_redirected_query_is_refused_and_a_redirected_read_followed(serve):
    server = serve(redirecting)
    with pytest.raises(StoreError, match=f"POST {server.url}/sparql was redirected"):
        client(server).select("ASK {}")
    assert client(server).get_graph("urn:g") == b"<urn:a> <urn:b> <urn:c> .\n"
    assert [m for m, _, _ in server.requests] == ["POST", "GET", "GET"]


def test_a_non_json_answer_to_a_query_is_a_store_error(serve):
    server = serve(lambda *_: (200, {"Content-Type": "text/html"}, b"<html>login</html>"))
    with pytest.raises(StoreError, match=r"did not answer with SPARQL results JSON.*<html>"):
        client(server).select("SELECT * WHERE { ?s ?p ?o }")


def test_only_a_404_reads_as_an_empty_graph(serve):
    server = serve(lambda *_: (404, {}, b"no such graph"))
    assert client(server).get_graph("urn:g") == b""
    server = serve(lambda *_: (400, {}, b"HTTP 404 of the backend"))
    with pytest.raises(StoreError, match="HTTP 400") as error:
        client(server).get_graph("urn:g")
    assert error.value.status == 400
