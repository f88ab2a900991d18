"""Paying through the pages as a browser does: choose (step 1), read the check page (step 2), confirm
with the form that page shows (step 3)."""

from __future__ import annotations

import html
import re

from django.test import Client
from django.urls import reverse

CHOICE = re.compile(r'name="choice" value="([^"]*)"')


def choose(client: Client, page: str, body: dict) -> str:
    """Step 1; returns the check page's URL (the choice was accepted)."""
    chosen = client.post(reverse(page), body)
    assert chosen.status_code == 302, chosen.content[:500]
    return chosen["Location"]


def confirm(client: Client, check_url: str, **kwargs):
    """Step 3 from the check page: the POST its "Confirm and pay" button sends."""
    return confirm_shown(client, check_url, client.get(check_url).content.decode(), **kwargs)


def confirm_shown(client: Client, check_url: str, page: str, **kwargs):
    """Step 3 from a check page read earlier (its HTML): what that page's button sends, whatever has
    changed since it was shown."""
    found = CHOICE.search(page)
    if found is None:  # paid already: the check page now leads to the confirmation
        return client.post(check_url, {}, **kwargs)
    return client.post(check_url, {"choice": html.unescape(found.group(1))}, **kwargs)


def pay(client: Client, page: str, body: dict, **kwargs):
    """All three steps; the confirmation's response (followed with follow=True)."""
    return confirm(client, choose(client, page, body), **kwargs)
