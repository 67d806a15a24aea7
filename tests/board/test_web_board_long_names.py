"""The web board with long queue names: two lines a name, and pages filled by the rows' real heights."""
from __future__ import annotations

from pathlib import Path

import pytest

from server.config.models import HallConfig
from server.voice.config import VoicePlan
from server.voice.service import voice_extension
from server.web import setup_static
from server.web.board import setup as board_setup
from tests.conftest import start_hub

pytestmark = pytest.mark.browser

LONG_NAMES = {  # A1 keeps its short name: a page's rows were counted by the first row's height
    "A4": "不动产登记（抵押、转移、变更）",
    "A2": "政务服务好差评投诉受理（补证）",  # an item of config/items.csv named as a queue
    "A3": "株洲市生态环境局茶陵分局",  # a department of config/zones.toml
    "A5": "卫星电视广播地面接收设施安装许可（变更）",  # config/items.csv
    "A6": "残疾人证与老年优待证办理",
    "B3": "社保、城乡居民养老保险待遇认证",  # three lines between phrases (社保、|城乡…待遇|认证), two not
    "B5": "工业和信息化业务",  # the sample hall's own longest queue name
    "D2": "公众聚集场所投入使用营业前消防安全检查（延续）",  # config/items.csv's longest item
    "G3": "国家税务总局茶陵县税务局",
    "K2": "非常长的业务名称用来检验省略号是否会在列宽不足时正确出现在末尾",  # made up: two lines never hold it
}


def long_named_hall() -> HallConfig:
    """The sample hall (config/) with some queues renamed after real long names of its own config."""
    from server.config.loader import load_hall_config
    from server.config.paths import default_config_dir

    raw = load_hall_config(default_config_dir()).model_dump()
    for queue in raw["queues"]:
        queue["name"] = LONG_NAMES.get(queue["prefix"], queue["name"])
    assert set(LONG_NAMES) <= {queue["prefix"] for queue in raw["queues"]}
    return HallConfig.model_validate(raw)


# The height below the table's heading, and each shown row: whether it lies inside the queue panel, its height, whether any part of its name
# cell hides text (cut), on how many lines the name stands unclamped (measured on a clone of the
# row with no clamp, nowrap or ellipsis), and whether the prefix stands on the name's first line.
ROWS_JS = """() => {
  const panel = document.getElementById('queue-panel').getBoundingClientRect();
  const tops = (cell) => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      found.push(...[...range.getClientRects()].map((r) => r.top));
    }
    return found;
  };
  const lines = (values) => [...values].sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1] > 4).length;
  const style = document.createElement('style');
  style.textContent = `.probe td.name, .probe td.name * { white-space: normal !important; text-overflow: clip !important;
    -webkit-line-clamp: none !important; line-clamp: none !important; overflow: visible !important;
    max-height: none !important; }`;
  document.head.append(style);
  const rows = [...document.querySelectorAll('#queues tr:not([hidden])')].map((tr) => {
    const r = tr.getBoundingClientRect();
    const name = tr.querySelector('td.name');
    // Cut: text runs past the right of a box, or a box hides a line (half a line more than it shows:
    // glyphs taller than a tight line height overflow it a little without hiding anything).
    const cut = [name, ...name.querySelectorAll('*')].some((e) => {
      const style = getComputedStyle(e);
      const line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
      return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + line / 2;
    });
    const probe = tr.cloneNode(true);
    probe.classList.add('probe');
    tr.after(probe);
    const whole = lines(tops(probe.querySelector('td.name')));
    probe.remove();
    const shown = tops(name);
    const node = [...name.querySelectorAll('*'), name].flatMap((e) => [...e.childNodes])
      .filter((n) => n.nodeType === Node.TEXT_NODE).sort((a, b) => b.length - a.length)[0];
    const broken = [];  // the name's lines as laid out (a clamp hides the third and later)
    for (let i = 0, top = null; i < node.length; i++) {
      const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
      const y = range.getClientRects()[0].top;
      if (top === null || y - top > 4) broken.push('');
      top = y; broken[broken.length - 1] += node.data[i];
    }
    return { queue: tr.dataset.queue, text: name.textContent, broken, height: r.height, cut, whole,
             inside: r.top >= panel.top - 0.5 && r.bottom <= panel.bottom + 0.5
                     && r.left >= panel.left - 0.5 && r.right <= panel.right + 0.5,
             prefixFirst: shown.length > 0 && Math.abs(shown[0] - Math.min(...shown)) <= 4 };
  });
  style.remove();
  const room = panel.bottom - document.getElementById('queue-head').getBoundingClientRect().bottom;
  return { room, rows };
}"""


async def walk_pages(page, size: tuple[int, int], prefixes: list[str], shot: Path) -> int:
    """Every page of the board once, from the first, checking each; the number of pages."""
    pages = int(await page.evaluate("document.body.dataset.pages"))
    seen: list[str] = []
    heights: list[list[float]] = []
    one_line = None
    for number in range(1, pages + 1):
        title = f"业务（{number}/{pages}）" if pages > 1 else "业务"
        assert await page.text_content("#queue-title") == title, size
        shown = await page.evaluate(ROWS_JS)
        rows, room = shown["rows"], shown["room"]
        heights.append([r["height"] for r in rows])
        assert rows, (size, number)
        one_line = min([one_line or rows[0]["height"]] + [r["height"] for r in rows])
        for row in rows:
            assert row["inside"], (size, number, row)
            assert row["prefixFirst"], (size, row)
            assert not row["cut"] or row["whole"] > 2, (size, row)  # … only where two lines cannot hold it
            assert row["cut"] or row["whole"] <= 2, (size, row)
        if number == 1:
            await page.screenshot(path=str(shot))
        for row in rows:
            if row["queue"] == "A4":  # between phrases, as the pygame board breaks it: not 转|移
                assert row["broken"] == ["不动产登记（抵押、", "转移、变更）"], (size, row)
            if row["queue"] == "B3":  # anywhere, rather than … after 城乡居民养老保险待遇
                assert len(row["broken"]) == 2 and not row["cut"], (size, row)
        seen += [r["queue"] for r in rows]
        await page.clock.run_for(8000)
    for row in (await page.evaluate(ROWS_JS))["rows"]:  # at most two lines a row, on the first page again
        assert row["height"] <= 2 * one_line + 1, (size, row)
    for number, (this, following) in enumerate(zip(heights, heights[1:]), start=1):
        # No page leaves room for the next one's first row (to a pixel: a row's share of the collapsed
        # borders between rows differs by half a pixel between all rows laid out and a page's).
        assert sum(this) + following[0] > room - 1, (size, number, this, following[0], room)
    assert seen == prefixes, size  # every queue on exactly one page, in order
    assert await page.text_content("#queue-title") == (f"业务（1/{pages}）" if pages > 1 else "业务")  # round again
    return pages


@pytest.mark.parametrize("sizes", [((1920, 1080), (1280, 720)), ((1280, 720), (1920, 1080))], ids=["1080-then-720", "720-then-1080"])
async def test_long_queue_names_take_two_lines_and_pages_hold_whole_rows(browser_client, tmp_path: Path, clock, browser,
                                                                         sizes) -> None:
    """Tried: the whole hall's board (33 queues) with ten renamed after long names of the sample
    config (items, departments, 不动产登记（抵押、转移、变更）) and made-up ones, opened at one TV
    size, every page walked, then the window resized to the other and walked again. It was: each
    name cut on one line with … (不动产登记（抵押、转… hid which queue it was); with two lines, the
    rows a page takes counted from the first row's height (one line) ran past the panel. Kept: a
    name stands whole on one or two lines, its prefix on the first, broken between phrases
    (不动产登记（抵押、|转移、变更）) unless only breaking anywhere keeps it to two, and … only
    where two lines cannot hold it (one of 31 characters, the 23-character item); every shown row
    lies inside the queue panel, no page leaves room for the next page's first row, each queue is
    on exactly one page, the title counts the pages, and a resize lays the pages out again."""
    hub = await start_hub(browser_client, tmp_path / "data", clock, config=long_named_hall(),
                          extensions=[setup_static, board_setup, voice_extension(plan=VoicePlan({}))])
    config = long_named_hall()
    prefixes = sorted(q.prefix for q in config.queues)
    context = await browser.new_context(viewport={"width": sizes[0][0], "height": sizes[0][1]})
    page = await context.new_page()
    try:
        await page.clock.install()
        await page.goto(f"{hub.base_url}/board?token={hub.tokens['manager']}")
        await page.wait_for_selector("body[data-ready='yes']")
        counts = []
        for width, height in sizes:
            await page.set_viewport_size({"width": width, "height": height})
            await page.wait_for_function(f"innerWidth === {width} && innerHeight === {height}")
            counts.append(await walk_pages(page, (width, height), prefixes, tmp_path / f"board-long-names-{width}x{height}.png"))
        assert all(n > 1 for n in counts)
    finally:
        await context.close()
