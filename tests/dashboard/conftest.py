"""Helpers for the dashboard and report tests: a hub with the static assets and both pages."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page

from server.engine.clock import ManualClock
from server.web import dashboard, reports, setup_static
from tests.conftest import HUB_PASSWORD, Hub, start_hub



@pytest_asyncio.fixture(loop_scope="session")
async def web_hub(browser_client, tmp_path: Path, clock: ManualClock) -> Hub:
    return await start_hub(browser_client, tmp_path / "data", clock, extensions=[setup_static, dashboard.setup, reports.setup])


@pytest_asyncio.fixture(loop_scope="session")
async def page(web_hub: Hub, browser: Browser) -> AsyncIterator[Page]:
    """One tab, closed before the hub stops so no event stream is left open at shutdown."""
    context: BrowserContext = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN",
                                                        accept_downloads=True)
    yield await context.new_page()
    await context.close()


async def sign_in(page: Page, hub: Hub, path: str, who: str = "manager") -> None:
    """Sign in at `path` and return once the hub has answered: the form is gone (signed in) or
    says why not. Returning at the click let a test reload the page while the login request was
    still in flight, before the token was stored, and land back at an empty form."""
    await page.goto(f"{hub.base_url}{path}")
    await page.fill("#login-user", who)
    await page.fill("#login-pass", HUB_PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_function(
        "() => document.getElementById('view-login').hidden || document.getElementById('login-error').textContent !== ''"
    )


async def post(hub: Hub, path: str, who: str, body: dict | None = None) -> dict:
    response = await hub.client.post(f"/api/v1{path}", json=body or {}, headers=hub.auth(who))
    assert response.status in (200, 201), await response.text()
    return await response.json()
