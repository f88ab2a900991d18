from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from common.masking import mask_id_number, mask_name, mask_phone
from common.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int) -> str:
    return format_yuan(fen)


@register.filter
def mask_id(id_number: str) -> str:
    return mask_id_number(id_number)


@register.filter
def nowrap(text: object) -> SafeString:
    """Text kept on one line: a date (2026-12-05), which a line may otherwise break after a hyphen."""
    return format_html('<span class="nowrap">{}</span>', text)


register.filter("mask_name", mask_name)
register.filter("mask_phone", mask_phone)
