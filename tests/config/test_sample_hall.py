"""The shipped sample hall (config/) loads cleanly and matches the county hall it models."""

from __future__ import annotations

import filecmp
from collections import Counter
from pathlib import Path

from server.config.loader import load_hall_config
from server.config.paths import default_config_dir
from server.cli import main
from server.config.cli import check_config_main
from server.config.sample import build_sample

from .hallfiles import HALL_FILES


def test_default_config_dir_is_the_repository_config_folder() -> None:
    folder = default_config_dir()
    assert folder.name == "config"
    assert (folder.parent / "pyproject.toml").is_file()
    assert (folder / "hall.toml").is_file()


def test_sample_loads_with_the_halls_figures() -> None:
    config = load_hall_config(default_config_dir())
    assert config.hall.name == "茶陵县政务服务中心"
    assert [z.code for z in config.zones] == list("ABCDEFGHJK")
    assert len(config.units) == 33
    assert len(config.queues) == 33  # one per (zone, unit)
    assert len(config.items) >= 898
    windows = [w for w in config.windows if w.kind == "window"]
    assert len(windows) == 60
    assert sorted(w.number for w in windows) == list(range(1, 61))
    assert {w.zone for w in config.windows if w.kind == "back_office"} == {"B", "C", "G"}
    per_zone = Counter(w.zone for w in windows)
    assert per_zone == {"A": 10, "B": 8, "C": 8, "D": 9, "E": 8, "F": 5, "G": 4, "H": 3, "J": 2, "K": 3}


def test_every_item_is_in_an_existing_queue_of_its_own_zone_and_unit() -> None:
    config = load_hall_config(default_config_dir())
    for item in config.items:
        queue = config.queue(item.queue)
        assert queue is not None, item.code
        assert queue.zone == item.zone
        assert queue.unit == item.unit


def test_window_queue_weights_follow_the_halls_layout() -> None:
    config = load_hall_config(default_config_dir())
    zone_a = {q.prefix for q in config.queues if q.zone == "A"}
    assert zone_a == {f"A{n}" for n in range(1, 8)}
    for window in config.windows_of_zone("A"):  # 一窗通办: all A queues, equally
        assert window.queues == dict.fromkeys(sorted(zone_a), 1)
    w = config.window("W11")  # first window of zone B
    assert w is not None and w.zone == "B" and w.unit is not None
    own = next(q.prefix for q in config.queues if q.unit == w.unit)
    assert w.queues[own] == 3
    assert {weight for prefix, weight in w.queues.items() if prefix != own} == {1}
    assert config.queues_of_window("W11")[0].prefix == own  # heaviest first


def test_lookups_return_none_for_unknown_codes() -> None:
    config = load_hall_config(default_config_dir())
    assert config.queue("Z9") is None
    assert config.window("W99") is None
    assert config.zone("Z") is None
    assert config.item("0000") is None
    assert config.queues_of_window("W99") == []
    assert config.windows_of_zone("Z") == []


def test_check_config_reports_ok_for_the_sample(capsys) -> None:
    """The sample is valid; its loopback QR address is valid too, and warned about: on a real
    hall's network a citizen's phone cannot open http://127.0.0.1:8080/t/…"""
    assert check_config_main(default_config_dir()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("warning: hall.toml: status_base_url is http://127.0.0.1:8080/t/")
    assert lines[1].startswith("warning: zones.toml: queues: 31 of 33 queues have no daily_cap (A1, A2, A3, A4, A5 and 26 more)")
    assert lines[2].startswith("OK ") and "10 zones, 33 units, 33 queues, 60 windows and 3 back offices, 898 items" in lines[2]


def test_check_config_without_a_folder_says_it_checked_the_sample(capsys) -> None:
    """Tried: `hallq check-config` with no DIR, as a technician in the hall's folder might type it.
    It was: `OK …` for the repository's sample, read as an OK for the hall's own files. Kept: the
    sample is still checked (exit 0), the first line says which folder that was."""
    assert main(["check-config"]) == 0  # as typed: the command line resolved the folder first, and the note never showed
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"note: no DIR given: checking the SAMPLE hall in {default_config_dir()}, not this hall's")
    assert lines[-1].startswith("OK ")
    assert check_config_main(default_config_dir()) == 0
    assert "SAMPLE" not in capsys.readouterr().out


def test_check_config_does_not_warn_about_a_hall_network_address(tmp_path: Path, capsys) -> None:
    import shutil

    folder = tmp_path / "hall"
    shutil.copytree(default_config_dir(), folder)
    hall = folder / "hall.toml"
    hall.write_text(hall.read_text(encoding="utf-8").replace("http://127.0.0.1:8080/t/", "http://10.0.0.2:8080/t/"), encoding="utf-8")
    assert check_config_main(folder) == 0
    out = capsys.readouterr().out
    assert "status_base_url" not in out and out.splitlines()[-1].startswith("OK ")


def test_generator_reproduces_the_committed_sample(tmp_path: Path) -> None:
    """The catalogue carries the provincial columns, so it can regenerate the whole sample."""
    build_sample(default_config_dir() / "items.csv", tmp_path)
    for name in HALL_FILES:
        assert filecmp.cmp(tmp_path / name, default_config_dir() / name, shallow=False), name
