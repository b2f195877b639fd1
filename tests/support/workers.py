"""Which server process answers a TCP connection, read from /proc: the server tells nobody."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    found: list[int] = []
    for task in (PROC / str(pid) / "task").iterdir():
        children = (task / "children").read_text().split()
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of 127.0.0.1:client_port -> 127.0.0.1:server_port."""
    for line in (PROC / "net" / "tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return inode
    return None


def serving_pid(server_port: int, client_port: int, candidates: list[int]) -> int | None:
    """The process among ``candidates`` holding the server's end of this connection."""
    inode = _socket_inode(server_port, client_port)
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in candidates:
        folder = PROC / str(pid) / "fd"
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        for name in names:
            try:
                if os.readlink(folder / name) == wanted:
                    return pid
            except FileNotFoundError:
                continue
    return None
