"""{% load regions %}{{ insuree.region_code|region_name }}: 大连市, or Dalian in English."""

from __future__ import annotations

from django import template

from insurees.regions import region_name as region_name_of

register = template.Library()


@register.filter
def region_name(code: object) -> str:
    return region_name_of("" if code is None else str(code))
