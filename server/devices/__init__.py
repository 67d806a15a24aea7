"""Wired devices driven from the hub: call-pad buses and LED screen buses (docs/devices.md).

extension.py runs them in the hub (``setup``, ``device_extension``); api.py holds GET
/api/v1/devices/status for the hub's route table; config.py reads devices.toml. This package file
imports nothing, so that `hallq check-config` reads devices.toml without loading the hub.
"""
