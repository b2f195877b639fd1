"""Run the server; in local mode with no CometChat credentials, the emulator runs beside it.

The emulator's HTTP port serves the server's own client, its HTTPS port the browser SDK (which
hard-codes https). Keys and state live in STATE_DIR across restarts. With ``--workers N`` the
server is N processes on one socket, under uvicorn's supervisor; the emulator stays one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import platform
import re
import threading
import time
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from pydantic import SecretStr
from uvicorn.supervisors import Multiprocess

from cometchat_auth.api.client_ip import is_loopback
from cometchat_auth.api.passkeys import relying_party
from cometchat_auth.settings import Settings, SettingsError, prepare

if TYPE_CHECKING:
    from fastapi import FastAPI

LOCAL_APP_ID = "local-app"
#: Seconds a worker may leave the supervisor's liveness ping unanswered before it is replaced.
WORKER_HEALTHCHECK = 60


#: glibc's malloc as argon2id needs it (19 MiB a hash at OWASP's cost): blocks of 1 MiB or more
#: mapped on their own and given back when freed, on transparent huge pages. By default glibc
#: raises that threshold to the size of the last mapped block freed, so from the second hash on
#: its memory comes from the arena of the thread running it and stays there, one hash's worth per
#: arena, and anyio's threads take arenas of their own: a worker grew from 125 MB to 325 MB in
#: 5 minutes of mixed load (python -m bench.rss). Huge pages keep the giving back cheap: a hash's
#: memory is faulted in as 10 pages, not 4,864 (a verify took 44 ms on small pages, 24-28 ms so).
MALLOC_TUNABLES = ("glibc.malloc.mmap_threshold=1048576", "glibc.malloc.hugetlb=1")


def malloc_tuned(environ: Mapping[str, str]) -> dict[str, str] | None:
    """``environ`` with MALLOC_TUNABLES added to GLIBC_TUNABLES, which glibc reads at start
    only; None when nothing is missing (a tunable set otherwise is kept) or the C library is
    not glibc."""
    if platform.libc_ver()[0] != "glibc":
        return None
    present = [item for item in environ.get("GLIBC_TUNABLES", "").split(":") if item]
    names = {item.split("=", 1)[0] for item in present}
    missing = [item for item in MALLOC_TUNABLES if item.split("=", 1)[0] not in names]
    if not missing:
        return None
    return {**environ, "GLIBC_TUNABLES": ":".join([*present, *missing])}


def emulator_dir(settings: Settings) -> Path:
    return settings.state_dir / "emulator"


def with_local_emulator(settings: Settings) -> Settings:
    """Settings pointed at the local emulator (keys made once in STATE_DIR) when none are given."""
    if settings.has_cometchat_credentials:
        return settings
    if not settings.local:
        raise SettingsError("production mode needs COMETCHAT_APP_ID and COMETCHAT_REST_API_KEY")
    keys = _emulator_keys(emulator_dir(settings) / "keys.json")
    return settings.model_copy(
        update={
            "cometchat_app_id": keys["app_id"],
            "cometchat_rest_api_key": SecretStr(keys["rest_api_key"]),
            "cometchat_api_base": f"http://127.0.0.1:{settings.emulator_port}/v3",
            # The page's SDK reaches it through our origin; COMETCHAT_CLIENT_HOST (for example
            # 127.0.0.1:8788/v3.0, the TLS port) sends it to the emulator directly instead.
            "local_emulator_url": f"http://127.0.0.1:{settings.emulator_port}",
        }
    )


def _emulator_keys(path: Path) -> dict[str, str]:
    """The emulator app's keys, generated on first use and kept private (mode 0600)."""
    if path.exists():
        keys: dict[str, str] = json.loads(path.read_text())
        return keys
    from cometchat_auth.emulator import EmulatorConfig

    generated = EmulatorConfig.generate(app_id=LOCAL_APP_ID).apps[0]
    keys = {
        "app_id": generated.app_id,
        "rest_api_key": generated.rest_api_key,
        "auth_key": generated.auth_key,
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(keys, file)
    return keys


def _emulator_servers(settings: Settings) -> list[uvicorn.Server]:
    from cometchat_auth.emulator import AppKeys, EmulatorConfig, create_app, ensure_certificate

    directory = emulator_dir(settings)
    keys = _emulator_keys(directory / "keys.json")
    config = EmulatorConfig(
        apps=[AppKeys(keys["app_id"], keys["rest_api_key"], keys["auth_key"])],
        region=settings.cometchat_region,
        state_file=directory / "state.json",
    )
    app = create_app(config)
    certfile, keyfile = ensure_certificate(directory)
    # log_config None: the logging set up at start (LOG_FORMAT) stays as it is.
    common: dict[str, Any] = {"host": "127.0.0.1", "log_level": "warning", "log_config": None}
    return [
        # The emulator's state is loaded and saved by one of the two servers only.
        uvicorn.Server(uvicorn.Config(app, port=settings.emulator_port, lifespan="on", **common)),
        uvicorn.Server(
            uvicorn.Config(
                app,
                port=settings.emulator_tls_port,
                lifespan="off",
                ssl_certfile=str(certfile),
                ssl_keyfile=str(keyfile),
                **common,
            )
        ),
    ]


def run(settings: Settings, *, host: str, port: int, workers: int | None = None) -> None:
    """Serve until interrupted; raises SettingsError when the settings cannot start a server.

    One worker serves in this process; more are processes sharing one listening socket, each
    with the settings read here. The local emulator runs once, in this process, either way.
    """
    if settings.local and not is_loopback(host):
        # Local mode shows every mail at /dev/mail and fills in its own secrets: this machine only.
        raise SettingsError(
            f"local mode listens on loopback only, not {host!r}: set APP_ENV=production "
            "(with its settings) to serve other machines"
        )
    # The address served is the one mails link to when PUBLIC_URL is unset (local mode).
    settings = settings.model_copy(update={"host": host, "port": port})
    _private_folder(settings.state_dir)
    emulator: list[uvicorn.Server] = []
    if not settings.has_cometchat_credentials:
        settings = with_local_emulator(settings)
        emulator = _emulator_servers(settings)
        directory = emulator_dir(settings)
        app_id = settings.cometchat_app_id
        print(f"No CometChat credentials: using the local emulator, app id {app_id!r}")
        print(f"  REST API:  {settings.cometchat_api_base}  (the server's client)")
        if settings.cometchat_client_host:
            print(f"  Client:    https://{settings.cometchat_client_host}  (the browser SDK)")
        else:
            via = f"http://{host}:{port}/cometchat-emulator"
            print(f"  Client:    through {via}  (the browser SDK, no certificate step)")
            tls = f"https://127.0.0.1:{settings.emulator_tls_port}"
            print(f"  TLS:       {tls}  (COMETCHAT_CLIENT_HOST=127.0.0.1:PORT/v3.0 uses it)")
        print(f"  Certificate: {directory / 'cert.pem'}")
        print(f"  REST API key kept in {directory / 'keys.json'} (the admin listing needs it)")
    # Local-mode secrets are made once here, never by workers racing to write the same file.
    settings = prepare(settings)
    workers = workers or settings.worker_count
    config = _server_config(settings, host=host, port=port, workers=workers)
    _redact_access_logs()  # the emulator's lines too, in this process
    print(f"cometchat-auth on http://{host}:{port}  (API docs at /docs)", flush=True)
    passkeys = relying_party(settings).origins[0]
    if passkeys != f"http://{host}:{port}":
        # An IP address cannot be a WebAuthn RP ID: passkeys need the page opened by name.
        print(f"  Passkeys:  {passkeys}  (a passkey belongs to a name, not an IP)", flush=True)
    if workers == 1:
        _metrics_port(settings)
        # Emulator first: the server's signal handler is then the one called first, so it
        # stops (letting its requests finish) while the emulator still answers them.
        # uvicorn's own loop (uvloop when installed), as the workers of --workers N get.
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(_serve_all([*emulator, uvicorn.Server(config)]))
        return
    from cometchat_auth.ops.metrics import shared_by_workers

    with _in_thread(emulator), shared_by_workers(settings.state_dir / "metrics"):
        _metrics_port(settings)
        _Supervisor(config, sockets=[config.bind_socket()]).run()


def _metrics_port(settings: Settings) -> None:
    if settings.metrics_on and settings.metrics_port:
        from cometchat_auth.ops.metrics import serve_separately

        serve_separately(settings.metrics_host, settings.metrics_port)
        print(f"metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics")


def _server_config(settings: Settings, *, host: str, port: int, workers: int) -> uvicorn.Config:
    return uvicorn.Config(
        partial(worker_app, settings),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # configure_logging sets every logger up, uvicorn's too
        log_level="info",
        # Only TRUSTED_PROXIES decide whether X-Forwarded-For is believed.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.graceful_timeout,
        # A worker starting on busy cores (imports, migrations) answers the supervisor's ping
        # late: uvicorn's 5 s would kill and respawn it, over and over.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK,
    )


def worker_app(settings: Settings) -> FastAPI:
    """The app of one worker (uvicorn calls it in each worker process, after its log set-up)."""
    from cometchat_auth.app import create_app

    configure_logging(settings)
    _redact_access_logs()
    return create_app(settings)


class _Supervisor(Multiprocess):
    """uvicorn's worker supervisor, closing its copy of the socket once the workers stop:
    connections arriving while they finish their requests are refused, not left queued."""

    def terminate_all(self) -> None:
        super().terminate_all()
        for sock in self.sockets:
            sock.close()


@contextlib.contextmanager
def _in_thread(servers: list[uvicorn.Server]) -> Iterator[None]:
    """Run ``servers`` on an event loop in a thread for the block (the supervisor's own loop
    is a plain wait); they stop after the block, once the workers have."""
    if not servers:
        yield
        return
    thread = threading.Thread(
        target=lambda: asyncio.run(_serve_all(servers)), name="emulator", daemon=True
    )
    thread.start()
    try:
        while not all(server.started for server in servers):
            if not thread.is_alive():
                raise SettingsError("the local emulator could not start (are its ports free?)")
            time.sleep(0.01)
        yield
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=15)


def _private_folder(folder: Path) -> None:
    """STATE_DIR holds the database, keys and mails: ours alone, even if made before with 0755."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(server.serve() for server in servers))


#: A token in the emulator's REST paths (its servers share uvicorn's one access logger with ours).
_TOKEN_IN_PATH = re.compile(r"(/auth_tokens/)[^/]+")


def _redact_access_logs() -> None:
    """Once uvicorn configured its loggers: a refused request's query may carry a password."""
    logging.getLogger("uvicorn.access").addFilter(_redact_access_log)


def _redact_access_log(record: logging.LogRecord) -> bool:
    """The access log line without query string or token (args: client, method, path, ...)."""
    if isinstance(record.args, tuple) and len(record.args) == 5:
        client, method, path, version, status = record.args
        path = _TOKEN_IN_PATH.sub(r"\1[redacted]", str(path).split("?", 1)[0])
        record.args = (client, method, path, version, status)
    return True


def configure_logging(settings: Settings) -> None:
    """LOG_FORMAT and LOG_LEVEL, for every logger of the process (uvicorn's too)."""
    from cometchat_auth.ops.logs import configure_logging as configure

    configure(settings.logs_as, settings.log_level)
