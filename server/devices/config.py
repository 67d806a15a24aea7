"""The hall's device map (config/devices.toml): which serial bus carries which pads and screens.

Why a schema next to the code that drives the buses: the technician's mistakes (a typo in a key,
a window that does not exist, two screens on one address, a dialect parameter the vendor does not
have) must be reported before the hub starts, all at once, as `devices.toml: key.path: reason`,
exactly like the hall's own files (server/config/loader.py). A missing devices.toml means the
hall has no wired devices (everything through web pads and TV boards), which is a valid hall.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from caller.dialects import make_dialect
from caller.errors import CallerError
from display.led.dialects import make_codec
from display.led.errors import LedError
from server.config.loader import in_file_order, read_optional_toml, validate_list
from server.config.models import HallConfig
from server.config.problems import ConfigError, ConfigProblem, join_path

DEVICES_FILE = "devices.toml"
TOP_KEYS = ("pad_buses", "screen_buses")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
BUS_NAME_RULE = "a bus name is 1 to 40 ASCII letters, digits, '_', '.' or '-', starting with a letter or digit"
#: The line speeds serial adapters and RS-485 pads and screens are built for.
STANDARD_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


NOT_STANDARD_BAUD = f"not a standard serial rate; use one of {', '.join(map(str, STANDARD_BAUDS))}"


def _standard_baud(baud: int) -> int:
    """A typo (19201) opened the port at a rate no pad speaks: every frame garbled at run time.
    (The problem's text gets "(got 19201)" from the loader.)"""
    if baud not in STANDARD_BAUDS:
        raise ValueError(NOT_STANDARD_BAUD)
    return baud


Baud = Annotated[int, AfterValidator(_standard_baud)]


def _bus_name(name: str) -> str:
    """NAME_PATTERN, said in words: the pattern itself was the reason shown, and an empty name,
    one with a space or a tab, or a Chinese one got `String should match pattern '^[A-Za-z0-9]…'`.
    (The name goes into logs, device.state events and the status API: no spaces, no controls.)"""
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(BUS_NAME_RULE)
    return name


BusName = Annotated[str, AfterValidator(_bus_name)]


def _address(key: object) -> int:
    """TOML keys are strings: accept "33", "033" (decimal, as a pad's DIP switches read), "0x21"
    or an int, nothing else. int(key, 0) alone refused "02"."""
    if isinstance(key, bool):
        raise ValueError(f"address {key!r} is not a number")
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        text = key.strip()
        try:
            return int(text, 10) if text.isdigit() else int(text, 0)
        except ValueError:
            pass
    raise ValueError(f"address {key!r} is not a number (write 33 or 0x21)")


def _addresses(value: object) -> object:
    """Keys to numbers, refusing two keys that name one address: { 1 = "W01", "0x01" = "W03" }
    loaded as {1: "W03"}, the first pad silently gone."""
    if isinstance(value, list):  # [[pad_buses.pads]] reads naturally, and loads as a list of tables
        raise ValueError('a table of address = value is expected, e.g. { 1 = "W01", 2 = "W02" } or a section '
                         'with lines 1 = "W01"; double brackets [[...]] make a list instead')
    if not isinstance(value, Mapping):
        return value
    keys: dict[int, list[str]] = {}
    for key in value:
        keys.setdefault(_address(key), []).append(str(key))
    repeated = [_given_more_than_once(address, given) for address, given in keys.items() if len(given) > 1]
    if repeated:
        raise ValueError("; ".join(repeated))
    return {_address(key): item for key, item in value.items()}


def _given_more_than_once(address: int, given: list[str]) -> str:
    times = "twice" if len(given) == 2 else f"{len(given)} times"
    return f"address {address} given {times} (" + ", ".join('"' + key + '"' for key in given) + ")"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransferPreset(_Model):
    """Where a few-key pad's "transfer" key sends the case (qsystem key 3)."""

    kind: Literal["queue", "window", "back_office"]
    target: Annotated[str, Field(min_length=1)]


class PadBusConfig(_Model):
    """One RS-485 (or socket://) line of call-pads. Keys are documented in docs/devices.md."""

    name: BusName
    url: Annotated[str, Field(min_length=1)]
    dialect: str
    baud: Baud = 9600
    zone: str | None = None
    params: dict[str, Any] = {}
    pads: dict[int, str]
    transfer_presets: dict[int, TransferPreset] = {}
    poll_timeout: Annotated[float, Field(gt=0)] = 0.05
    scan_pause: Annotated[float, Field(ge=0)] = 0.08
    ack_timeout: Annotated[float, Field(gt=0)] = 0.2
    display_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    silent_after: Annotated[int, Field(ge=1)] = 3

    _keys_are_addresses = field_validator("pads", "transfer_presets", mode="before")(
        classmethod(lambda cls, value: _addresses(value))
    )

    @field_validator("pads")
    @classmethod
    def _not_empty(cls, value: dict[int, str]) -> dict[int, str]:
        if not value:
            raise ValueError("a pad bus needs at least one pad (address = window id)")
        return value


class ZoneScreenConfig(_Model):
    """A zone screen: `rows` one-line modules at consecutive addresses, `columns` cells wide."""

    zone: str
    first_address: Annotated[int, Field(ge=0)]
    rows: Annotated[int, Field(ge=1, le=32)] = 5
    columns: Annotated[int, Field(ge=2, le=256)] = 32

    @property
    def addresses(self) -> range:
        return range(self.first_address, self.first_address + self.rows)


class ScreensConfig(_Model):
    windows: dict[int, str] = {}
    zones: list[ZoneScreenConfig] = []

    _keys_are_addresses = field_validator("windows", mode="before")(
        classmethod(lambda cls, value: _addresses(value))
    )


class ScreenBusConfig(_Model):
    """One line of LED window and zone screens."""

    name: BusName
    url: Annotated[str, Field(min_length=1)]
    dialect: str
    baud: Baud | None = None
    zone: str | None = None
    params: dict[str, Any] = {}
    screens: ScreensConfig


class DeviceConfig(_Model):
    """Every wired bus of the hall; empty lists = no wired devices."""

    pad_buses: list[PadBusConfig] = []
    screen_buses: list[ScreenBusConfig] = []

    @property
    def empty(self) -> bool:
        return not self.pad_buses and not self.screen_buses


HALL_CHECKS = "window ids, zones, transfer targets and the pads' width against the ticket numbers"
"""What is checked against the hall, and so not when the hall's own files do not load."""


def load_device_config(config_dir: Path, hall: HallConfig | None) -> DeviceConfig:
    """Read `devices.toml` from the hall's folder; raise ConfigError listing every problem.

    hall None: the hall's own files did not load (`check-config` on a broken hall), and only what
    the file says by itself is checked (HALL_CHECKS are not): a technician still sees its typos
    in the same run."""
    raw = read_optional_toml(Path(config_dir), DEVICES_FILE)
    if raw is None:
        return DeviceConfig()
    return device_config_from_mapping(raw, hall)


def device_config_from_mapping(raw: Mapping[str, Any], hall: HallConfig | None, file: str = DEVICES_FILE) -> DeviceConfig:
    """Validate a parsed device map against the hall (None: see load_device_config); every bus is
    checked on its own."""
    problems: list[ConfigProblem] = []
    for key in raw:
        if key not in TOP_KEYS:
            problems.append(ConfigProblem(file, key, f"unknown key (expected only: {', '.join(TOP_KEYS)})"))
    # An invalid bus's other keys are checked too (loader.partial_entry: a key with a problem of
    # its own is None), so a technician sees all of a bus's mistakes in one run.
    broken_pads: list[tuple[str, Any]] = []
    broken_screens: list[tuple[str, Any]] = []
    pads = _validate_list(raw, "pad_buses", PadBusConfig, file, problems, broken_pads)
    screens = _validate_list(raw, "screen_buses", ScreenBusConfig, file, problems, broken_screens)
    all_pads, all_screens = in_file_order(pads, broken_pads), in_file_order(screens, broken_screens)
    names: dict[str, str] = {}
    urls: dict[str, tuple[str, str]] = {}
    for path, bus in [*all_pads, *all_screens]:
        if bus.name is not None and bus.name in names:
            problems.append(ConfigProblem(file, f"{path}.name", f"bus name {bus.name!r} is already used by {names[bus.name]}"))
        if bus.name is not None:
            names.setdefault(bus.name, path)
        # One serial port, one bus: the second would fail to open it (or, on a socket, both would
        # talk over each other) and its devices would look broken at run time.
        line = same_line(bus.url) if bus.url is not None else None
        if line is not None and line in urls:
            first_path, first_url = urls[line]
            spelled = f" (the same port as {first_url!r})" if first_url != bus.url else ""
            problems.append(ConfigProblem(file, f"{path}.url", f"{bus.url!r} is already the line of {first_path}{spelled}"))
        if line is not None:
            urls.setdefault(line, (path, bus.url))
        if bus.zone is not None and hall is not None and hall.zone(bus.zone) is None:
            problems.append(ConfigProblem(file, f"{path}.zone", f"unknown zone {bus.zone!r}"))
    pad_of: dict[str, str] = {}
    for path, pad_bus in all_pads:
        if pad_bus.dialect is not None and pad_bus.params is not None:  # params even when pads are wrong
            problems += _check_pad_bus(pad_bus, path, hall, file)
        if pad_bus.pads is None:
            continue
        for address, window_id in pad_bus.pads.items():  # two pads acting for one window
            where = f"{path}.pads.{address}"
            if window_id in pad_of:
                problems.append(ConfigProblem(file, where, f"window {window_id!r} already has a pad at {pad_of[window_id]}"))
            pad_of.setdefault(window_id, where)
    for path, screen_bus in all_screens:
        if screen_bus.dialect is not None and screen_bus.params is not None:  # params even when screens are wrong
            problems += _check_screen_bus(screen_bus, path, hall, file)
    if problems:
        raise ConfigError(problems)
    return DeviceConfig(pad_buses=[b for _, b in pads], screen_buses=[b for _, b in screens])


def same_line(url: str) -> str | None:
    """What two bus urls must not share, one spelling per port: `/dev/ttyUSB0/` and
    `/dev/../dev/ttyUSB0` passed as two lines and the second bus failed to open its port at run
    time. A device path is normalised (os.path.normpath), and one that exists here is the device
    it links to: `/dev/serial/by-id/usb-…` and `/dev/ttyUSB0` are one adapter, and the second bus
    found it locked at run time. A path missing here is compared as written (check-config may run
    on another PC than the hub, where the links are not there); a network line (socket://, rfc2217://) is its host, any
    case, and port; `loop://` is a line of its own each time it is opened (None: never shared);
    any other pyserial URL is compared as written, but for its scheme's case."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        if re.fullmatch(r"(?i)com\d+", url.strip()):  # Windows: COM3 and com3
            return url.strip().upper()
        path = url.strip()
        if os.path.isabs(path) and os.path.exists(path):
            return os.path.realpath(path)
        return re.sub(r"^/+", "/", os.path.normpath(path))  # POSIX keeps a leading //
    scheme = scheme.lower()
    if scheme == "loop":
        return None
    if scheme in ("socket", "rfc2217"):
        parts = urlsplit(f"{scheme}://{rest}")
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.hostname:
            return f"{scheme}://{parts.hostname.lower()}:{port}"
    return f"{scheme}://{rest}"


def _validate_list(
    raw: Mapping[str, Any], key: str, model: type[BaseModel], file: str, problems: list[ConfigProblem],
    partial: list[tuple[str, Any]],
) -> list[tuple[str, Any]]:
    """Each bus validated on its own (one bad bus does not hide the others); the lists are optional."""
    return validate_list(raw, key, model, file, problems, partial) if key in raw else []


def _check_pad_bus(bus: PadBusConfig, path: str, hall: HallConfig | None, file: str) -> list[ConfigProblem]:
    """The bus against its dialect and the hall. Its params are checked even when its pads are
    not valid (None, loader.partial_entry): a misspelt parameter went unnamed until the pads were
    fixed, and the technician needed a second run to learn of it."""
    problems: list[ConfigProblem] = []
    try:
        dialect = make_dialect(bus.dialect, bus.params)
    except (CallerError, TypeError, ValueError) as error:
        # The pads' windows and presets are still checked: a misspelt dialect hid an unknown
        # window on the same bus until the next run.
        key = "dialect" if "unknown call-pad dialect" in str(error) else "params"
        problems.append(ConfigProblem(file, join_path(path, key), str(error)))
        dialect = None
    if dialect is not None and hall is not None:
        problems += _check_pad_width(bus, dialect.display_width, path, hall, file)
    for address, window_id in (bus.pads or {}).items():
        where = f"{path}.pads.{address}"
        if dialect is not None and not dialect.address_range[0] <= address <= dialect.address_range[1]:
            low, high = dialect.address_range
            problems.append(ConfigProblem(file, where, f"address outside the {bus.dialect} range {low}..{high}"))
        if hall is not None and hall.window(window_id) is None:
            problems.append(ConfigProblem(file, where, f"unknown window {window_id!r}"))
    for address, preset in (bus.transfer_presets or {}).items():  # None: invalid (loader.partial_entry)
        where = f"{path}.transfer_presets.{address}"
        if bus.pads is not None and address not in bus.pads:
            problems.append(ConfigProblem(file, where, "no pad at this address (add it to pads first)"))
        if hall is None:
            continue
        if preset.kind == "queue" and hall.queue(preset.target) is None:
            problems.append(ConfigProblem(file, f"{where}.target", f"unknown queue {preset.target!r}"))
        if preset.kind != "queue" and hall.window(preset.target) is None:
            problems.append(ConfigProblem(file, f"{where}.target", f"unknown window {preset.target!r}"))
    return problems


def _check_pad_width(bus: PadBusConfig, width: int | None, path: str, hall: HallConfig, file: str) -> list[ConfigProblem]:
    """A pad narrower than the hall's numbers cuts every called number (A1001 read A100 on a
    4-digit UB485 pad) and check-config said OK."""
    longest = hall.longest_ticket_number()
    if width is None or len(longest) <= width:
        return []
    return [ConfigProblem(file, join_path(path, "params.width"),
                          f"{bus.dialect} pads show {width} characters but the hall's ticket numbers have up to "
                          f"{len(longest)} ({longest}): it would show {longest[:width]}; set params.width = {len(longest)} "
                          f"if the pads have {len(longest)} digits, or use shorter prefixes or rules.number_digits")]


def _check_screen_bus(bus: ScreenBusConfig, path: str, hall: HallConfig | None, file: str) -> list[ConfigProblem]:
    """The bus against its dialect and the hall; its params even when its screens are not valid
    (None), as for a pad bus (_check_pad_bus)."""
    problems: list[ConfigProblem] = []
    try:
        codec = make_codec(bus.dialect, bus.params, source=f"{path}.params")
    except LedError as error:
        key = "dialect" if "unknown dialect" in str(error) else "params"
        return [ConfigProblem(file, join_path(path, key), str(error).removeprefix(f"{path}.params: "))]
    if bus.baud is None and "baud" not in bus.model_fields_set and codec.params.baud not in STANDARD_BAUDS:  # the bus opens at the dialect's
        problems.append(ConfigProblem(file, join_path(path, "params.baud"), f"{NOT_STANDARD_BAUD} (got {codec.params.baud})"))
    if bus.screens is None:  # not valid: its own problems are reported already
        return problems
    used: dict[int, str] = {}

    def claim(address: int, where: str) -> None:
        if address not in codec.address_range:
            span = f"{codec.address_range.start}..{codec.address_range.stop - 1}"
            problems.append(ConfigProblem(file, where, f"address {address} outside the {bus.dialect} range {span}"))
        if address in used:
            problems.append(ConfigProblem(file, where, f"address {address} is already used by {used[address]}"))
        used.setdefault(address, where)

    for address, window_id in bus.screens.windows.items():
        where = f"{path}.screens.windows.{address}"
        claim(address, where)
        if hall is None:
            continue
        window = hall.window(window_id)
        if window is None:
            problems.append(ConfigProblem(file, where, f"unknown window {window_id!r}"))
        elif window.kind == "back_office":
            problems.append(ConfigProblem(file, where, f"{window_id} is a back office: it calls silently, with no screen"))
    for index, zone in enumerate(bus.screens.zones):
        where = f"{path}.screens.zones[{index}]"
        if hall is not None and hall.zone(zone.zone) is None:
            problems.append(ConfigProblem(file, f"{where}.zone", f"unknown zone {zone.zone!r}"))
        for address in zone.addresses:
            claim(address, where)
    return problems
