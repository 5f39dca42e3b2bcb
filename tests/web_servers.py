"""nginx and Apache running the generated static-hosting rules, for test_redirects.py and
test_static_web.py: each server on a free loopback port, from a throwaway configuration,
stopped afterwards. Missing binaries skip, unless KETAMINE_KG_REQUIRE_SERVERS=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

from ketamine_kg.release.directory import ReleaseDir
from ketamine_kg.site import redirects
from ketamine_kg.site.apache_host import static_htaccess
from ketamine_kg.site.hosting_headers import Published

NGINX = "/usr/sbin/nginx"
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
PREFIX = redirects.PREFIX
#: The modules the generated rules need (a large release's proxy rule needs mod_proxy_http too).
APACHE_STATIC = ["mpm_event", "authz_core", "alias", "mime", "rewrite", "headers"]


def _require(*paths: Path | str) -> None:
    missing = [str(p) for p in paths if not Path(p).exists()]
    if not missing:
        return
    message = f"not installed: {', '.join(missing)} (Debian packages nginx, apache2)"
    if os.environ.get("KETAMINE_KG_REQUIRE_SERVERS") == "1":
        pytest.fail(message + "; KETAMINE_KG_REQUIRE_SERVERS=1 requires them")
    pytest.skip(message)


class Daemon:
    """A web server in the foreground on a loopback port; stop() ends it and reaps it."""

    def __init__(self, command: list[str], port: int, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {self._log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{command[0]} did not start: {self._log()}")

    def _log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def version(release_dir: Path) -> str:
    return redirects.release_version(ReleaseDir(release_dir))


@pytest.fixture(scope="module")
def nginx_url(release_dir: Path, version: str, live_server: str, tmp_path_factory) -> Iterator[str]:
    """nginx with the generated server block, serving the release directory (the endpoint IRI
    redirected to the live server's endpoint)."""
    _require(NGINX)
    conf_dir = tmp_path_factory.mktemp("nginx")
    port = free_port()
    site = redirects.nginx(
        version,
        root=str(release_dir),
        listen=f"127.0.0.1:{port}",
        sparql=f"{live_server}{PREFIX}sparql",
        release=Published.of(ReleaseDir(release_dir).metadata()),
    )
    server = start_nginx(conf_dir, site, port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def start_nginx(conf_dir: Path, site: str, port: int) -> Daemon:
    """nginx in the foreground with the generated `site` rules (listening on `port`), its
    configuration, temporary files and log in `conf_dir`."""
    _require(NGINX)
    (conf_dir / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {conf_dir}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (conf_dir / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {conf_dir}/nginx.pid;\nerror_log {conf_dir}/error.log;\nevents {{}}\n"
        + f"http {{ access_log off; {temp} uwsgi_temp_path {conf_dir}/uwsgi; "
        + f"scgi_temp_path {conf_dir}/scgi; include {conf_dir}/site.conf; }}\n"
    )
    command = [NGINX, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf")]
    command += ["-e", str(conf_dir / "error.log"), "-g", "daemon off; master_process off;"]
    return Daemon(command, port, conf_dir / "error.log")


@pytest.fixture(scope="module")
def apache(
    release_dir: Path, version: str, live_server: str, tmp_path_factory
) -> Iterator[tuple[str, str]]:
    """Apache running the generated w3id .htaccess at /ketamine-kg/; the static host at
    /site/… with the generated static-host .htaccess; the endpoint IRI redirected to the live
    server's endpoint.

    Yields (base URL, redirect target)."""
    conf_dir = tmp_path_factory.mktemp("apache")
    www = Path(tempfile.mkdtemp(prefix="ketamine-kg-apache-"))
    try:
        port = free_port()
        target = f"http://127.0.0.1:{port}/site{PREFIX}"
        shutil.copytree(release_dir, www / "site")
        (www / "w3id" / PREFIX.strip("/")).mkdir(parents=True)
        (www / "w3id" / PREFIX.strip("/") / ".htaccess").write_text(
            redirects.htaccess(target, version, sparql=f"{live_server}{PREFIX}sparql")
        )
        (www / "site" / ".htaccess").write_text(
            static_htaccess(Published.of(ReleaseDir(release_dir).metadata()), f"/site{PREFIX}")
        )
        server = start_apache(conf_dir, www, port, APACHE_STATIC)
        try:
            yield f"http://127.0.0.1:{port}", target
        finally:
            server.stop()
    finally:
        shutil.rmtree(www)


def start_apache(conf_dir: Path, www: Path, port: int, modules: list[str]) -> Daemon:
    """Apache in the foreground on `port` with `modules`, its configuration and log in
    `conf_dir`: `www`/w3id at the root, `www`/site at /site/ketamine-kg/, each following its
    .htaccess (world-readable: Apache started as root serves as nobody)."""
    _require(APACHE, *(APACHE_MODULES / f"mod_{m}.so" for m in modules))
    for path in [www, *www.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (conf_dir / "httpd.conf").write_text(
        "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in modules)
        + f"""
ServerRoot "{conf_dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{conf_dir}/httpd.pid"
DefaultRuntimeDir "{conf_dir}"
ErrorLog "{conf_dir}/error.log"
TypesConfig /dev/null
User #65534
Group #65534
DocumentRoot "{www}/w3id"
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "{www}/w3id">
  AllowOverride All
  Options FollowSymLinks
  Require all granted
</Directory>
Alias /site{PREFIX} "{www}/site/"
<Directory "{www}/site">
  AllowOverride All
  Options FollowSymLinks
  Require all granted
</Directory>
"""
    )
    return Daemon([APACHE, "-X", "-f", str(conf_dir / "httpd.conf")], port, conf_dir / "error.log")
