"""Chinese by default: the same story speaks zh, buttons included."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LI, MAO, World


@pytest.mark.parametrize("language", ["zh"])
async def test_the_story_in_chinese(world: World) -> None:
    world.user(MAO).send("/120 胸口痛 <b>&amp;</b> 😀")
    alert = await world.user(LI).wait_message("胸口痛")
    assert alert.buttons == ["接单"]
    assert "胸口痛 <b>&amp;</b> 😀" in alert.text
    await world.user(LI).press(alert, "接单")
    panel = await world.user(LI).wait_message(lambda m: "已解决" in m.buttons)
    await world.user(LI).press(panel, "已解决")
    question = await world.user(MAO).wait_message(lambda m: "确认解决" in m.buttons)
    assert question.buttons == ["确认解决", "未解决"]
    world.user(MAO).send("/status abc")
    usage = await world.user(MAO).wait_message("/status N")
    assert "Usage" not in usage.text


@pytest.mark.parametrize(("language", "listed"), [("zh", "李强、钱卫东"), ("en", "李强, 钱卫东")])
async def test_names_are_listed_the_readers_way(world: World, listed: str) -> None:
    world.user(MAO).send("/120 胸口痛")
    ack = await world.user(MAO).wait_message("#1")
    assert listed in ack.text
