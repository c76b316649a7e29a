"""The vocabulary of browser tests: a PBX admin (or viewer) at the console, with screenshots."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

#: Debian's chromium package; Playwright never downloads a browser here.
CHROMIUM = "/usr/bin/chromium"


class Console:
    def __init__(self, browser: Browser, url: str, shots: Path, test_name: str) -> None:
        self.browser = browser
        self.url = url
        self.shots = shots
        self.test_name = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name)[:80]
        self._contexts: list[BrowserContext] = []
        self._count = 0

    async def login(self, user: str, password: str) -> Page:
        context = await self.browser.new_context(base_url=self.url)
        self._contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(20_000)
        await page.goto("/login")
        await self.shot(page, "login")
        await page.fill("input[name=username]", user)
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        await expect(page.locator("header .who")).to_contain_text(user)
        return page

    async def open(self, page: Page, path: str, label: str | None = None) -> Page:
        await page.goto(path)
        await self.shot(page, label or path.strip("/") or "continuity")
        return page

    async def shot(self, page: Page, label: str) -> Path:
        self._count += 1
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", label)
        path = self.shots / f"{self.test_name}-{self._count:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    async def csrf(self, page: Page) -> str:
        value = await page.locator("input[name=csrf]").first.get_attribute("value")
        assert value
        return value

    async def close(self) -> None:
        for context in self._contexts:
            await context.close()
