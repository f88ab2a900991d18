import logging

from common.masking import mask_text


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites every log record so no full ID number or phone number reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
