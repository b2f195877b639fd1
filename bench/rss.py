"""Memory under mixed load: each worker's RSS must stay at or below 150 MB after 5 minutes.

``cometchat-auth serve`` (production settings, a fresh PostgreSQL database, the Node upstream
stub answering CometChat's calls) runs unpinned with ``--workers N`` (1 by default). CLIENTS
clients loop for BENCH_RSS_SECONDS (300 by default): register a new account (an argon2id hash at
OWASP's cost), sign in (a verify), then ``/auth/me`` and ``POST /cometchat/token`` (rotate false)
a few times, a rotation, a refresh, ``/auth/me`` with the new access token, and a sign-out. Every
SAMPLE_SECONDS the RSS of each worker is read from /proc; the table gives it at the start of the
load, after one minute, at the end (once the clients' last answers are in) and its peak (during
the load, with up to one argon2id hash per core in flight, 19 MiB each).

    BENCH_RSS_SECONDS=60 .venv/bin/python -m bench.rss --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import httpx

from bench import parts, seed
from bench.server import Server, running_server

SECONDS = float(os.environ.get("BENCH_RSS_SECONDS", "300"))
SAMPLE_SECONDS = 5.0
CLIENTS = 8
LIMIT_MB = 150
#: Reads between one sign-in and its sign-out.
READS = 5


def worker_pids(server: Server) -> list[int]:
    """The processes serving requests: ``serve`` itself with one worker, else its children
    (uvicorn's workers; multiprocessing's resource tracker, if any, is not one)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = [
        int(child)
        for child in children
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return workers or [pid]


async def _session(client: httpx.AsyncClient, answers: Counter[str]) -> None:
    """One account's life: register, sign in, read, rotate, refresh, sign out."""

    async def send(
        name: str,
        method: str,
        path: str,
        *,
        json: Mapping[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        answer = await client.request(method, path, json=json, headers=headers)
        answers[f"{name} {answer.status_code}"] += 1
        return answer

    email = f"rss-{uuid.uuid4().hex[:12]}@example.com"
    credentials = {"email": email, "password": seed.PASSWORD}
    await send("register", "POST", "/auth/register", json={**credentials, "name": "Rss"})
    login = await send("login", "POST", "/auth/login", json=credentials)
    if login.status_code != 200:
        return
    tokens = login.json()
    bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
    for _ in range(READS):
        await send("me", "GET", "/auth/me", headers=bearer)
        await send("token", "POST", "/cometchat/token", json={"rotate": False}, headers=bearer)
    await send("rotate", "POST", "/cometchat/token", json={"rotate": True}, headers=bearer)
    body = {"refreshToken": tokens["refreshToken"]}
    refreshed = await send("refresh", "POST", "/auth/refresh", json=body)
    if refreshed.status_code == 200:
        bearer = {"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
        await send("me", "GET", "/auth/me", headers=bearer)
    await send("logout", "POST", "/auth/logout", headers=bearer)


async def _load(server: Server, seconds: float) -> tuple[dict[int, list[float]], Counter[str]]:
    """Run the clients for ``seconds``; each worker's RSS samples (MB) and the answers' count."""
    pids = worker_pids(server)
    samples: dict[int, list[float]] = {pid: [] for pid in pids}
    answers: Counter[str] = Counter()
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:

        async def sampler() -> None:
            while True:
                for pid in pids:
                    samples[pid].append(parts.rss_mb(pid))
                if time.monotonic() >= stop:
                    return
                await asyncio.sleep(SAMPLE_SECONDS)

        async def driver() -> None:
            while time.monotonic() < stop:
                await _session(client, answers)

        await asyncio.gather(sampler(), *(driver() for _ in range(CLIENTS)))
    for pid in pids:  # the end: every client's last answer in, no hash in flight
        samples[pid].append(parts.rss_mb(pid))
    return samples, answers


def _table(samples: dict[int, list[float]]) -> str:
    after_minute = round(60 / SAMPLE_SECONDS)
    lines = [
        "| worker | start MB | after 1 min MB | end MB | peak MB (hashing) | end <= 150 MB |",
        "|---|---|---|---|---|---|",
    ]
    for n, series in enumerate(samples.values(), 1):
        minute = f"{series[after_minute]:.0f}" if len(series) > after_minute else ""
        verdict = "yes" if series[-1] <= LIMIT_MB else "NO"
        lines.append(
            f"| {n} | {series[0]:.0f} | {minute} | {series[-1]:.0f} | {max(series):.0f} "
            f"| {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rss", description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    workers = parser.parse_args(argv).workers
    parts.need("node")
    with (
        tempfile.TemporaryDirectory() as name,
        parts.node("upstream_stub.js", {}, None) as stub,
        parts.database("postgresql", Path(name)) as url,
        running_server(Path(name), api_base=f"{stub}/v3", database_url=url, workers=workers) as s,
    ):
        samples, answers = asyncio.run(_load(s, SECONDS))
    print(
        f"\nrss: {workers} worker(s), PostgreSQL, {CLIENTS} clients for {SECONDS:.0f} s of "
        "register, login (argon2id m=19456 KiB, t=2, p=1), /auth/me, token (rotate false and "
        f"true), refresh, logout; RSS every {SAMPLE_SECONDS:.0f} s"
    )
    print("answers: " + ", ".join(f"{key} x{count}" for key, count in sorted(answers.items())))
    print(_table(samples))


if __name__ == "__main__":
    main()
