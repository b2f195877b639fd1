"""Debian's nginx in front of server processes, as a balancer would be (one process, no root)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port
from tests.support.waiting import eventually

#: What each server block writes into X-Forwarded-For: nginx's usual chain, and a client address
#: with its port (as some balancers write it).
FORWARDED_FOR = {
    "chain": "$proxy_add_x_forwarded_for",
    "with_port": "$remote_addr:$remote_port",
}

CONFIG = """
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream auth {{
{servers}
        keepalive 8;
    }}
{blocks}
}}
"""

BLOCK = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For {forwarded_for};
        }}
    }}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        message = "nginx is not installed (.ci/run installs it): reverse-proxy tests NOT RUN"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def nginx(upstreams: list[str], root: Path) -> Iterator[dict[str, str]]:
    """nginx balancing over ``upstreams`` (``host:port``); yields a base URL per FORWARDED_FOR."""
    root.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in FORWARDED_FOR}
    config = CONFIG.format(
        root=root,
        servers="\n".join(f"        server {upstream};" for upstream in upstreams),
        blocks="".join(
            BLOCK.format(port=ports[name], forwarded_for=value)
            for name, value in FORWARDED_FOR.items()
        ),
    )
    (root / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:

        def up() -> bool:
            assert process.poll() is None, (root / "error.log").read_text()
            try:
                return all(httpx.get(f"{url}/healthz").status_code == 200 for url in urls.values())
            except httpx.TransportError:
                return False

        eventually(up, within=20)
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)
