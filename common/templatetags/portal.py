from django import template

from common.masking import mask_id_number, mask_name, mask_phone
from common.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int) -> str:
    return format_yuan(fen)


@register.filter
def mask_id(id_number: str) -> str:
    return mask_id_number(id_number)


register.filter("mask_name", mask_name)
register.filter("mask_phone", mask_phone)
