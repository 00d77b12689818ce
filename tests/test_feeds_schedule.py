"""When feeds are checked (corpus/feeds/schedule.py) and the settings that say so (corpus/settings.py)."""

from __future__ import annotations

import asyncio
import random
from email.utils import formatdate

import pytest

from corpus.feeds.schedule import (MAX_BACKOFF, HostGate, Timing, max_age_seconds, next_after_failure,
                                   next_after_success, retry_after_seconds)
from corpus.settings import SettingsError, feed_host_spacing, feed_interval

TIMING = Timing(interval=900, host_spacing=1)


def test_interval_default_floor_and_the_test_only_override():
    assert feed_interval({}) == 15 * 60
    assert feed_interval({"ARTICLEBOT_FEED_INTERVAL": "30"}) == 30 * 60
    with pytest.raises(SettingsError, match="at least 5"):
        feed_interval({"ARTICLEBOT_FEED_INTERVAL": "1"})
    with pytest.raises(SettingsError, match="ARTICLEBOT_FEED_INTERVAL"):
        feed_interval({"ARTICLEBOT_FEED_INTERVAL": "soon"})
    # only the test setting goes below the floor
    assert feed_interval({"ARTICLEBOT_FEED_INTERVAL": "30", "ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS": "0.5"}) == 0.5


def test_host_spacing_setting():
    assert feed_host_spacing({}) == 1.0
    assert feed_host_spacing({"ARTICLEBOT_FEED_HOST_SPACING": "0"}) == 0
    with pytest.raises(SettingsError, match="from 0 to 60"):
        feed_host_spacing({"ARTICLEBOT_FEED_HOST_SPACING": "-1"})


def test_a_feed_that_asks_for_longer_gets_it_but_never_less_than_the_interval():
    rng = random.Random(1)
    assert 900 <= next_after_success(0, TIMING, 60, rng) <= 990          # asks 1 min: still 15
    assert 7200 <= next_after_success(0, TIMING, 7200, rng) <= 7920      # <ttl>120</ttl>
    assert next_after_success(0, TIMING, 30 * 86400, rng) <= 86400 * 1.1  # a month: checked daily


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(2)
    waits = [next_after_failure(0, TIMING, n, rng=rng) for n in (1, 2, 3, 4)]
    for n, wait in enumerate(waits):
        assert 0.8 * 900 * 2 ** n <= wait <= 1.2 * 900 * 2 ** n
    assert next_after_failure(0, TIMING, 9, rng=rng) <= MAX_BACKOFF * 1.2
    assert next_after_failure(0, TIMING, 1, retry_after=5 * 3600, rng=rng) >= 5 * 3600  # Retry-After wins


def test_retry_after_and_max_age():
    assert retry_after_seconds("120") == 120
    assert 590 <= retry_after_seconds(formatdate(1_000_600, usegmt=True), now=1_000_000) <= 600
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert max_age_seconds("public, max-age=3600") == 3600
    assert max_age_seconds("no-cache, max-age=3600") == 0
    assert max_age_seconds(None) == 0


async def test_one_request_in_flight_per_host_and_hosts_in_parallel():
    gate = HostGate(spacing=0.01)
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    overlapped = asyncio.Event()

    async def request(url: str, host: str) -> None:
        async with gate.hold(url):
            in_flight[host] = in_flight.get(host, 0) + 1
            most[host] = max(most.get(host, 0), in_flight[host])
            if sum(in_flight.values()) > 1:
                overlapped.set()
            await asyncio.sleep(0.02)
            in_flight[host] -= 1

    await asyncio.gather(*(request(f"http://a.example/{n}", "a") for n in range(5)),
                         *(request(f"http://b.example:8080/{n}", "b") for n in range(5)))
    assert most == {"a": 1, "b": 1}  # never two at once on one host
    assert overlapped.is_set()       # but the two hosts are served side by side
    assert gate.requests == {"a.example:80": 5, "b.example:8080": 5}
