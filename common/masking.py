"""Masking of personal data wherever it need not be shown in full."""

import re

ID_NUMBER_PATTERN = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
PHONE_PATTERN = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask_id_number(id_number: str) -> str:
    if len(id_number) != 18:
        return "*" * len(id_number)
    return f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_name(name: str) -> str:
    """Keep the family name: 张三 -> 张*, 欧阳娜娜 -> 欧***."""
    return name[:1] + "*" * (len(name) - 1) if name else name


def mask_text(text: str) -> str:
    """Masks every ID number and mobile number found in free text (logs, messages)."""
    text = ID_NUMBER_PATTERN.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    return PHONE_PATTERN.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
