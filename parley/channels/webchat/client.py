"""What the agent sees about a visitor's browser and where they are (seed 002's details panel).

Browser and OS come from the User-Agent through ua-parser (its regexes ship inside the wheel);
the country from the IP through iptocc (RIR allocation data inside the wheel). No package ships a
current city database, so the city stays empty: honestly unknown rather than guessed.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

import iptocc
from ua_parser import parse


def _version(family: str | None, *parts: str | None) -> str | None:
    if not family or family == "Other":
        return None
    numbers = [p for p in parts if p]
    return f"{family} {'.'.join(numbers)}" if numbers else family


@lru_cache(maxsize=4096)
def _agent(user_agent: str) -> tuple[str | None, str | None, str | None]:
    """(browser, os, device) for a User-Agent string; None for what it does not say."""
    found = parse(user_agent)
    browser = (
        _version(found.user_agent.family, found.user_agent.major) if found.user_agent else None
    )
    system = _version(found.os.family, found.os.major, found.os.minor) if found.os else None
    device = found.device.family if found.device and found.device.family != "Other" else None
    return browser, system, device


def country_of(ip: str | None) -> str | None:
    """ISO country code of a public address; None for private, reserved or unknown ones."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    code = iptocc.country_code(str(address))
    return str(code) if code else None


def describe_client(
    *, user_agent: str, ip: str | None, url: str | None, title: str | None, referrer: str | None
) -> dict[str, Any]:
    browser, system, device = _agent(user_agent[:1000]) if user_agent else (None, None, None)
    return {
        "browser": browser,
        "os": system,
        "device": device,
        "user_agent": user_agent[:500],
        "ip": ip,
        "country": country_of(ip),
        "city": None,
        "url": url,
        "title": title,
        "referrer": referrer,
    }
