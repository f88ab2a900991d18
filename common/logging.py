import logging

from common.masking import mask_text

_traceback_formatter = logging.Formatter()


class MaskPersonalDataFilter(logging.Filter):
    """Rewrites every log record so no full ID number or phone number reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A handler's formatter renders the traceback only after the filters ran, from exc_text when it
        # is set: render it here, so an exception's message (an ID number in it) is masked as well.
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
