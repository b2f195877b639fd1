"""``run``: the emulator as a local process, for ``cometchat-auth emulator``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvicorn

from .app import create_app
from .config import EmulatorConfig
from .tls import ensure_certificate


def run(
    config: EmulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8787,
    tls: bool = False,
    tls_port: int | None = None,
    cert_dir: Path = Path("var/emulator"),
) -> None:
    """Print the keys and URLs a developer needs, then serve until interrupted.

    With ``tls`` and a ``tls_port``, HTTP stays on ``port`` and HTTPS is added on ``tls_port``;
    with ``tls`` alone, ``port`` speaks HTTPS.
    """
    app = create_app(config)
    plain_port = None if tls and tls_port is None else port
    secure_port = (tls_port or port) if tls else None
    configs: list[uvicorn.Config] = []
    urls: list[str] = []
    if plain_port is not None:
        configs.append(uvicorn.Config(app, host=host, port=plain_port, lifespan="on"))
        urls.append(f"http://{host}:{plain_port}")
    if secure_port is not None:
        certfile, keyfile = ensure_certificate(cert_dir, hosts=_cert_hosts(host))
        # State is loaded and saved by one server only, when two share the app.
        configs.append(
            uvicorn.Config(
                app,
                host=host,
                port=secure_port,
                lifespan="off" if configs else "on",
                ssl_certfile=str(certfile),
                ssl_keyfile=str(keyfile),
            )
        )
        urls.append(f"https://{host}:{secure_port}")
    print("CometChat emulator", flush=True)
    print(f"Region: {config.region}")
    for keys in config.apps:
        print(f"App ID: {keys.app_id}")
        print(f"REST API key: {keys.rest_api_key}")
        print(f"Auth key: {keys.auth_key}")
    for url in urls:
        print(f"Base URL: {url}  (REST at {url}/v3)")
    print("", flush=True)
    asyncio.run(_serve_all([uvicorn.Server(server_config) for server_config in configs]))


def _cert_hosts(host: str) -> tuple[str, ...]:
    """The names a browser may use for us: loopback always, plus the listening host."""
    return tuple(dict.fromkeys(("127.0.0.1", "localhost", host)))


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(server.serve() for server in servers))
