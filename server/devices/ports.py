"""Whether the serial ports devices.toml names are there on this machine, for `hallq check-config`.

Why: check-config said OK for `url = "/dev/ttyUSB7"` on a hub PC whose adapter is /dev/ttyUSB0, and
for a port the hub's user may not open (serial ports belong to the group `dialout`); the technician
learnt it only from the hub's log after the start. These are warnings, not problems: the file is
right, the adapter may be plugged in later, and check-config may run on another PC than the hub.
Network lines (`socket://`, `rfc2217://`) are not tried: check-config does not touch the hall's
devices.
"""

from __future__ import annotations

import os
from pathlib import Path

from server.config.problems import ConfigProblem
from server.devices.config import DEVICES_FILE, DeviceConfig

SERIAL_PORT_PATTERNS = ("/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*")
SHOWN_PORTS = 6


def port_warnings(devices: DeviceConfig) -> list[ConfigProblem]:
    """One warning per bus whose local port is missing or may not be opened by this user."""
    warnings = []
    buses = [("pad_buses", b.url) for b in devices.pad_buses] + [("screen_buses", b.url) for b in devices.screen_buses]
    counters = {"pad_buses": 0, "screen_buses": 0}
    for kind, url in buses:
        why = local_port_problem(url)
        if why is not None:
            warnings.append(ConfigProblem(DEVICES_FILE, f"{kind}[{counters[kind]}].url", why))
        counters[kind] += 1
    return warnings


def local_port_problem(url: str) -> str | None:
    """Why the hub could not open the local port `url` here, or None (also for network lines)."""
    if "://" in url:
        return None
    port = Path(url)
    if not port.exists():
        return (f"{url} does not exist on this machine ({serial_ports_here()}); if the hub runs here, plug the adapter "
                f"in or correct the url (the hub retries it until it appears)")
    if port.is_dir() or not os.access(port, os.R_OK | os.W_OK):
        return (f"{url}: this user may not open it (serial ports belong to the group dialout: sudo usermod -aG dialout "
                f"USER for the hub's user, then log in again)")
    return None


def serial_ports_here() -> str:
    """The USB serial ports present, stable names first, for the technician to pick from."""
    found: list[str] = []
    for pattern in SERIAL_PORT_PATTERNS:
        found += sorted(str(p) for p in Path("/").glob(pattern.lstrip("/")))
    if not found:
        return "no USB serial port here"
    more = f" and {len(found) - SHOWN_PORTS} more" if len(found) > SHOWN_PORTS else ""
    return "serial ports here: " + ", ".join(found[:SHOWN_PORTS]) + more
