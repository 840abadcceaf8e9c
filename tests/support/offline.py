"""Tests never talk to the internet: `go_offline()` makes every DNS lookup or connection beyond
loopback fail as on an offline machine (fuzzed profiles name real Azure hosts)."""

from __future__ import annotations

import ipaddress
import socket
import sys

_installed = False


def _loopback(host) -> bool:
    if host is None or host == "localhost" or str(host).endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _offline(event: str, args: tuple) -> None:
    if event == "socket.getaddrinfo" and not _loopback(args[0]):
        raise socket.gaierror(socket.EAI_NONAME, f"tests are offline: {args[0]} not looked up")
    if (event == "socket.connect" and isinstance(args[1], tuple) and args[1]
            and not _loopback(args[1][0])):
        raise ConnectionRefusedError(f"tests are offline: no connection to {args[1][0]}")


def go_offline() -> None:
    """Install the audit hook (once per process; audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_offline)
        _installed = True
