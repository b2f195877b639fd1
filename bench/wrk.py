"""wrk (Debian's package) driving one path: requests built by a Lua script, figures as JSON."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.server import pinned

CONNECTIONS = 32

#: Printed by wrk once the run is over: counts, and latency percentiles in microseconds.
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %d, "seconds": %f, "p50": %d, "p99": %d, "errors": %d, "non2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True, slots=True)
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    non2xx: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True, slots=True)
class Load:
    """What to send: ``method path``, a body template and headers, with ``{token}`` taken in
    turn from ``tokens`` (each once, when ``once``; else round and round)."""

    method: str
    path: str
    body: str | None = None
    bearer: bool = False
    tokens: tuple[str, ...] = ()
    once: bool = False

    def script(self, folder: Path) -> str:
        lines = ["local tokens = {}"]
        if self.tokens:
            listing = folder / "tokens.txt"
            listing.write_text("\n".join(self.tokens) + "\n")
            lines.append(f'for line in io.lines("{listing}") do tokens[#tokens + 1] = line end')
        body = "nil" if self.body is None else _lua_template(self.body)
        auth = '["Authorization"] = "Bearer " .. token, ' if self.bearer else ""
        pick = "tokens[i]" if self.once else "tokens[(i - 1) % math.max(#tokens, 1) + 1]"
        lines += [
            "local i = 0",
            "request = function()",
            "  i = i + 1",
            f"  local token = {pick} or ''",
            f'  local headers = {{{auth}["Content-Type"] = "application/json"}}',
            f'  return wrk.format("{self.method}", "{self.path}", headers, {body})',
            "end",
            _DONE,
        ]
        return "\n".join(lines)


def _lua_template(text: str) -> str:
    """A Lua expression for ``text`` with ``{token}`` replaced by the variable ``token``."""
    parts = [json.dumps(part) for part in text.split("{token}")]
    return " .. token .. ".join(parts)


def run(
    url: str, load: Load, *, seconds: float, cores: str | None, connections: int = CONNECTIONS
) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "load.lua"
        script.write_text(load.script(Path(folder)))
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ]
        output = subprocess.run(
            pinned(command, cores), capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return Figures(
        requests=figures["requests"],
        seconds=figures["seconds"],
        p50_ms=figures["p50"] / 1000,
        p99_ms=figures["p99"] / 1000,
        errors=figures["errors"],
        non2xx=figures["non2xx"],
    )
