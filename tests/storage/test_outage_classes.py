"""Which asyncpg client errors mean the connection is gone (an outage: 503, said once) and which
are the program's own mistakes (500 with a traceback): server/storage/outage.py tells them by
their class and words, so these are asyncpg's real errors, raised by a real server."""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from server.storage.outage import is_connection_lost
from tests.conftest import PG_ADMIN_URL, postgres_reachable

pytestmark = pytest.mark.skipif(not postgres_reachable(), reason="needs the local PostgreSQL")


async def test_asyncpg_errors_of_a_connection_in_use_or_closed_are_outages_its_misuse_is_not() -> None:
    """Tried: a second statement on a connection still busy with one ('another operation is in
    progress', what asyncpg says when the connection under an operation broke), a statement on a
    closed connection, and a statement given the wrong number of arguments. Kept: the first two
    are outages, the third is a bug and stays a 500 with its traceback."""
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        busy = asyncio.ensure_future(conn.fetch("SELECT pg_sleep(0.2)"))
        await asyncio.sleep(0.05)
        with pytest.raises(asyncpg.InterfaceError) as in_progress:
            await conn.fetch("SELECT 1")
        await busy
        with pytest.raises(asyncpg.InterfaceError) as misuse:
            await conn.fetch("SELECT $1::int")
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InterfaceError) as closed:
        await conn.fetch("SELECT 1")
    assert "another operation is in progress" in str(in_progress.value)
    assert is_connection_lost(in_progress.value) and is_connection_lost(closed.value)
    assert not is_connection_lost(misuse.value), str(misuse.value)
