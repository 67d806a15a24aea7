"""A NUL character (U+0000) in a request, on both databases: refused with a 400 naming it,
nothing stored. On PostgreSQL (which stores no NUL in text) a sign-in, a new account and a
ticket list with one each answered 500 and logged a traceback (the resilience review)."""
from __future__ import annotations

from pathlib import Path

from server.accounts import Principal, Role
from server.api.keys import ACCOUNTS
from server.app import create_app
from server.config.paths import default_config_dir
from server.settings import HubSettings
from tests.conftest import HUB_PASSWORD, _sample_hall

NUL_REFUSAL = "请求中含有空字符（\\u0000），请删除后重试"


async def test_a_nul_character_is_refused_on_both_databases(aiohttp_client, tmp_path: Path, clock, database_url: str) -> None:
    settings = HubSettings(config_dir=default_config_dir(), data_dir=tmp_path / "data", database_url=database_url)
    (tmp_path / "data").mkdir(mode=0o700)
    client = await aiohttp_client(create_app(settings, clock=clock, config=_sample_hall()))
    accounts = client.app[ACCOUNTS]
    await accounts.add_user("admin", HUB_PASSWORD, Role.ADMIN, "管理员", now=clock.now())
    token = await accounts.open_session(Principal("admin", Role.ADMIN, False, "管理员"), now=clock.now())
    admin = {"Authorization": f"Bearer {token}"}

    tried = [
        client.post("/api/v1/auth/login", json={"username": "admin\u0000", "password": "x"}),
        client.post("/api/v1/users", json={"username": "nul1", "password": "pass1234word", "role": "staff",
                                           "display_name": "张\u0000三"}, headers=admin),
        client.get("/api/v1/tickets?queue=A1%00", headers=admin),
        client.get("/api/v1/tickets/%00", headers=admin),
    ]
    for request in tried:
        response = await request
        error = (await response.json())["error"]
        assert (response.status, error["code"], error["message"]) == (400, "bad_request", NUL_REFUSAL)
    assert "nul1" not in [u["username"] for u in await accounts.list_users()]
    signed_in = await client.post("/api/v1/auth/login", json={"username": "admin", "password": HUB_PASSWORD})
    assert signed_in.status == 200  # the refused sign-in counted nothing against the account
