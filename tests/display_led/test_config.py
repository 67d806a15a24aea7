"""Device configuration: overrides without code, and errors that name the key."""

import pytest

from display.led.config import ScreenBusConfig
from display.led.dialects import make_codec
from display.led.dialects.pingan import PinganParams
from display.led.errors import ParamsError
from display.led.model import ScreenKind, ScreenText


def test_params_override_defaults_from_plain_config_values() -> None:
    config = ScreenBusConfig.from_mapping(
        {
            "url": "socket://10.0.0.5:4001",
            "dialect": "pingan",
            "params": {"check_covers_end": False, "zone_code": "08 03", "min_interval_s": 0.1},
            "screens": {"1": "window", "0x10": "zone"},
        }
    )
    assert config.baud == 9600  # the dialect's default
    assert config.codec.params == PinganParams(check_covers_end=False, zone_code=b"\x08\x03", min_interval_s=0.1)
    assert config.screens == {1: ScreenKind.WINDOW, 16: ScreenKind.ZONE}


def test_candle_transliteration_table_from_config() -> None:
    codec = make_codec("candle", {"transliteration": {"窗口": "W"}, "omitted": "?"})
    assert codec.decode(codec.encode(0x20, ScreenText(["3窗口张"]))[0]).text == "3W?"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "/dev/ttyUSB0", "dialect": "pingan", "speed": 9600}, "unknown key(s) ['speed']"),
        ({"url": "/dev/ttyUSB0", "dialect": "nope"}, "unknown dialect 'nope'"),
        ({"dialect": "pingan"}, "url is required"),
        ({"url": "/dev/ttyUSB0", "dialect": "ruize", "params": {"half_order": "middle"}}, "half_order must be one of"),
        ({"url": "/dev/ttyUSB0", "dialect": "yinda", "params": {"crc_variant": "modbus"}}, "crc_variant: expected one of"),
        ({"url": "/dev/ttyUSB0", "dialect": "pingan", "params": {"tail": "zz"}}, "tail: bad bytes"),
        ({"url": "/dev/ttyUSB0", "dialect": "pingan", "params": {"chek": 1}}, "unknown key(s) ['chek']"),
        ({"url": "/dev/ttyUSB0", "dialect": "candle", "screens": {"5": "window"}}, "address '5' outside"),
        ({"url": "/dev/ttyUSB0", "dialect": "pingan", "screens": {"5": "wall"}}, "screens.5: expected"),
        ({"url": "/dev/ttyUSB0", "dialect": "pingan", "baud": "fast"}, "baud must be a positive integer"),
    ],
)
def test_bad_config_names_source_key_and_reason(data: dict, message: str) -> None:
    # Tried: each mistake a technician makes in halls.toml; nothing is built from a bad section.
    with pytest.raises(ParamsError) as caught:
        ScreenBusConfig.from_mapping(data, source="halls.toml [screens.zone_a]")
    assert "halls.toml [screens.zone_a]" in str(caught.value)
    assert message in str(caught.value)
