"""The hub's HTTP port, bound before anything else starts.

aiohttp's run_app binds the port after the application's start-up: with the port already taken
(a second hub, another program) the hub had opened the serial buses, written to the call-pads and
migrated the database before it died with a traceback. Bound first, a taken port stops the start
before any of that, with one line; run_app then serves on the bound sockets.
"""
from __future__ import annotations

import contextlib
import socket


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address `host` names (localhost: IPv4 and IPv6), as aiohttp's
    own TCPSite would bind them (address reuse, IPv6 sockets IPv6-only). Raises OSError (e.g.
    EADDRINUSE) with none left open."""
    bound: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE):
            if (family, address[0]) in seen:
                continue
            seen.add((family, address[0]))
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(128)
            sock.setblocking(False)
    except OSError:
        for sock in bound:
            with contextlib.suppress(OSError):
                sock.close()
        raise
    return bound
