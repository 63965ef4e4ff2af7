"""Seed 002's client fields: browser and OS from the User-Agent, country from the IP."""

from __future__ import annotations

import pytest

from parley.channels.webchat.client import country_of, describe_client

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
EDGE = CHROME_WINDOWS + " Edg/120.0.2210.91"


@pytest.mark.parametrize(
    ("agent", "browser", "system", "device"),
    [
        (CHROME_WINDOWS, "Chrome 120", "Windows 10", None),
        (SAFARI_IPHONE, "Mobile Safari 17", "iOS 17.1", "iPhone"),
        (FIREFOX_LINUX, "Firefox 121", "Linux", None),
        (EDGE, "Edge 120", "Windows 10", None),
        ("curl/8.4.0", "curl 8", None, None),
        ("", None, None, None),
    ],
)
def test_browser_and_os_from_the_user_agent(
    agent: str, browser: str | None, system: str | None, device: str | None
) -> None:
    client = describe_client(user_agent=agent, ip=None, url=None, title=None, referrer=None)
    assert (client["browser"], client["os"], client["device"]) == (browser, system, device)


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),
        ("81.2.69.142", "GB"),
        ("2001:4860:4860::8888", "US"),
        ("10.1.2.3", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("not an ip", None),
        (None, None),
    ],
)
def test_country_from_the_ip(ip: str | None, country: str | None) -> None:
    assert country_of(ip) == country


def test_the_city_is_honestly_unknown() -> None:
    client = describe_client(
        user_agent="", ip="8.8.8.8", url="https://x.example", title=None, referrer=None
    )
    assert client["city"] is None and client["country"] == "US"
