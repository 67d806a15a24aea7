"""The API against its own OpenAPI document, fuzzed by schemathesis (hypothesis underneath).

Tried: every documented operation of a real `hallq serve` process, called with requests generated
from the document (valid ones, and ones that break a type, a range, an enum, a format or a
required field), as an admin, plus undocumented methods on every path. Kept, for each: no server
error; a malformed request refused (4xx) rather than accepted; status codes, content types and
headers as documented; 405 with an Allow header for a method a path does not have. What the
document cannot state is left out: rules across fields (an appointment's end after its start, a
period's end after its start), so schema-valid requests may still be refused with a clear 400.

This found: numbers past 64 bits in a path or query (a 500 from the database driver), `{"day": 0}`
read as 1970-01-01 when closing the day, and a 405 without its Allow header.

A longer run (more examples per operation) is marked slow: `pytest -m slow tests/api`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.hub_process import HubProcess

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance," \
         "negative_data_rejection,unsupported_method"


async def _fuzz(tmp_path: Path, examples: int) -> subprocess.CompletedProcess[str]:
    hub = HubProcess(tmp_path)
    hub.cli("user", "add", "fuzz-admin", "--role", "admin")
    await hub.start()
    try:
        async with aiohttp.ClientSession() as session:
            login = {"username": "fuzz-admin", "password": hub.env["HALLQ_PASSWORD"]}
            async with session.post(f"{hub.url}/api/v1/auth/login", json=login) as r:
                token = (await r.json())["token"]
        return subprocess.run(
            [SCHEMATHESIS, "run", f"{hub.url}/api/v1/openapi.json", "--header", f"Authorization: Bearer {token}",
             "--exclude-path", "/api/v1/auth/logout",  # it would end the session the run acts with
             "--checks", CHECKS, "--max-examples", str(examples), "--seed", "20261127", "--no-color"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path,  # its cache folder goes there
        )
    finally:
        hub.stop()


async def test_the_api_keeps_to_its_openapi_document_under_generated_requests(tmp_path: Path) -> None:
    run = await _fuzz(tmp_path, examples=15)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "Tested: " in run.stdout


@pytest.mark.slow
async def test_the_api_keeps_to_its_openapi_document_longer(tmp_path: Path) -> None:
    run = await _fuzz(tmp_path, examples=200)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
