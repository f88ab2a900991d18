"""The receipt (缴费凭证): a one-page PDF in Chinese that a page of the portal can verify.

It names the issuing agency (settings.RECEIPT_ISSUER), embeds its font, carries a QR code of the
check page with its reference and code filled in, and, once refunded, a void stamp over its face.
"""

from __future__ import annotations

import functools
import io
import itertools
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas

from common.masking import mask_id_number
from common.money import fen_to_chinese_capitals, format_yuan
from insurees.models import PremiumKind
from insurees.regions import region_name
from mutual_aid.models import Relation
from payments.models import Payment, PaymentChannel, PaymentStatus, RefundReason

FONT = "GongjiReceipt"
# WenQuanYi Micro Hei, from the pip dependency paperang-p2-fonts-cjk; Debian's fonts-wqy-microhei is the
# same file. It must have TrueType outlines: reportlab cannot embed CFF (Debian's fonts-noto-cjk).
_FONT_FILES = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
_DEBIAN_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
VOID_RED = Color(0.78, 0.05, 0.05)

CHANNELS: dict[str, str] = {
    PaymentChannel.AUTHORIZER: "授权人代缴",
    PaymentChannel.SELF: "本人选择个人账户缴纳",
    PaymentChannel.COUNTER: "经办窗口代办",
}
RELATIONS: dict[str, str] = {
    Relation.SPOUSE: "配偶",
    Relation.PARENT: "父母",
    Relation.CHILD: "子女",
    Relation.SIBLING: "兄弟姐妹",
    Relation.PATERNAL_GRANDPARENT: "祖父母",
    Relation.MATERNAL_GRANDPARENT: "外祖父母",
    Relation.PATERNAL_GRANDCHILD: "孙子女",
    Relation.MATERNAL_GRANDCHILD: "外孙子女",
}
# Each premium kind's name, and the receipt's title for it.
KINDS: dict[str, str] = {
    PremiumKind.RESIDENT_MEDICAL: "城乡居民基本医疗保险",
    PremiumKind.LONG_TERM_CARE: "长期护理保险",
}
TITLES: dict[str, str] = {
    PremiumKind.RESIDENT_MEDICAL: "城乡居民医保个人缴费凭证（家庭共济）",
    PremiumKind.LONG_TERM_CARE: "长期护理保险个人缴费凭证（家庭共济）",
}
REFUND_REASONS: dict[str, str] = {
    RefundReason.PAID_TWICE: "已通过其他渠道重复缴费",
    RefundReason.JOINED_EMPLOYEE: "参保人已参加职工医保",
    RefundReason.DECEASED: "参保人已身故",
}


def _font_path() -> Path:
    if settings.RECEIPT_FONT:
        return Path(settings.RECEIPT_FONT)
    package, name = _FONT_FILES
    try:
        return Path(str(resources.files(package).joinpath(name)))
    except ModuleNotFoundError:
        if _DEBIAN_FONT.exists():
            return _DEBIAN_FONT
    raise ImproperlyConfigured(
        "No font for receipts: install the project's dependencies (pip install -e .: paperang-p2-fonts-cjk), "
        "or apt-get install fonts-wqy-microhei, or set RECEIPT_FONT to a TrueType CJK font file."
    )


@functools.cache
def receipt_font() -> str:
    """Registers the receipt's font once per process; reportlab embeds the glyphs a receipt uses."""
    path = _font_path()
    try:
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    except (OSError, TTFError) as exc:
        raise ImproperlyConfigured(
            f"Receipt font {path} unusable ({exc}): it must be a TrueType (glyf) font or collection."
        ) from exc
    return FONT


def receipt_check_url(*, payment: Payment | None = None, request: HttpRequest | None = None) -> str:
    """The check page's absolute address, with the payment's reference and code filled in if given.

    PORTAL_BASE_URL names the portal as the public reaches it (behind a proxy the request's host may be
    an internal one); without it, the request's host.
    """
    base = settings.PORTAL_BASE_URL.rstrip("/")
    if not base:
        if request is None:
            raise ImproperlyConfigured(
                "Set PORTAL_BASE_URL: a receipt made outside a request needs the portal's address."
            )
        base = request.build_absolute_uri("/").rstrip("/")
    url = base + reverse("receipt-verify")
    if payment is not None:
        url += "?" + urlencode({"reference": payment.reference, "code": payment.verification_code})
    return url


def receipt_lines(*, payment: Payment) -> list[tuple[str, str]]:
    created = timezone.localtime(payment.created_at)
    lines = [
        ("凭证编号", payment.reference),
        ("缴费年度", f"{payment.year}年度{KINDS.get(payment.kind, payment.kind)}"),
        (
            "参保人（共济对象）",
            f"{payment.beneficiary.person.name}  {mask_id_number(payment.beneficiary.person.id_number)}",
        ),
        ("统筹地区", f"{region_name(payment.region_code, language='zh-hans')}（{payment.region_code}）"),
        (
            "付款人（授权人）",
            f"{payment.authorizer.person.name}  {mask_id_number(payment.authorizer.person.id_number)}",
        ),
        ("与授权人关系", RELATIONS.get(payment.relation, payment.relation)),
        ("资金来源", "职工医保个人账户（家庭共济）"),
        ("缴费方式", CHANNELS.get(payment.channel, payment.channel)),
        ("金额（小写）", f"¥{format_yuan(payment.amount_fen)}"),
        ("金额（大写）", fen_to_chinese_capitals(payment.amount_fen)),
        ("缴费时间", f"{created:%Y-%m-%d %H:%M:%S}"),
        ("校验码", payment.verification_code),
    ]
    if payment.status == PaymentStatus.REFUNDED:
        lines += [
            ("状态", "已退费，本凭证作废"),
            ("退费日期", _refund_date(payment)),
            ("退费原因", REFUND_REASONS.get(payment.refund_reason, payment.refund_reason)),
        ]
    else:
        lines.append(("状态", "已缴费"))
    return lines


def _refund_date(payment: Payment) -> str:
    return f"{timezone.localtime(payment.refunded_at):%Y-%m-%d}" if payment.refunded_at else ""


def receipt_pdf(*, payment: Payment, request: HttpRequest | None = None) -> bytes:
    font = receipt_font()
    issuer = settings.RECEIPT_ISSUER
    buffer = io.BytesIO()
    width, height = landscape(A5)
    # The initial font too, or reportlab names a Helvetica it never embeds.
    pdf = canvas.Canvas(buffer, pagesize=(width, height), initialFontName=font, initialFontSize=10)
    pdf.setTitle(f"缴费凭证 {payment.reference}")
    pdf.setAuthor(issuer)
    pdf.setFont(font, 17)
    pdf.drawCentredString(
        width / 2, height - 15 * mm, TITLES.get(payment.kind, TITLES[PremiumKind.RESIDENT_MEDICAL])
    )
    pdf.setFont(font, 10)
    pdf.drawCentredString(width / 2, height - 21.5 * mm, f"开具机构：{issuer}")
    pdf.setLineWidth(0.6)
    pdf.line(15 * mm, height - 25 * mm, width - 15 * mm, height - 25 * mm)

    y = height - 32 * mm
    for label, value in receipt_lines(payment=payment):
        pdf.setFont(font, 10)
        pdf.drawString(18 * mm, y, f"{label}：")
        pdf.setFont(font, 10.5)
        pdf.drawString(56 * mm, y, value)
        y -= 6.1 * mm

    check_url = receipt_check_url(payment=payment, request=request)
    _draw_qr(pdf, check_url, x=width - 52 * mm, top=height - 29 * mm, size=34 * mm)
    pdf.setFont(font, 8)
    under = height - 66 * mm
    pdf.drawCentredString(width - 35 * mm, under, "扫码或访问以下地址查验")
    address = receipt_check_url(request=request)
    for line in simpleSplit(address, font, 7, 46 * mm):
        under -= 3.6 * mm
        pdf.setFont(font, 7)
        pdf.drawCentredString(width - 35 * mm, under, line)

    pdf.setFont(font, 8)
    pdf.drawString(
        18 * mm, 9 * mm, "扫码或在“凭证查验”页面输入凭证编号与校验码可查验真伪。身份证号已作脱敏处理。"
    )
    if payment.status == PaymentStatus.REFUNDED:
        _draw_void_stamp(pdf, payment, font=font, centre=(width * 0.4, height * 0.47))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_qr(pdf: canvas.Canvas, data: str, *, x: float, top: float, size: float) -> None:
    """The QR code as vector squares (one run of dark modules per rectangle), with its quiet zone."""
    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    pdf.setFillColor(black)
    for r, row in enumerate(rows):
        c = 0
        for dark, run in itertools.groupby(row):
            n = len(list(run))
            if dark:
                pdf.rect(x + c * module, top - (r + 1) * module, n * module, module, stroke=0, fill=1)
            c += n


def _draw_void_stamp(pdf: canvas.Canvas, payment: Payment, *, font: str, centre: tuple[float, float]) -> None:
    """A large red diagonal stamp over the receipt's face, see-through so the lines stay legible."""
    pdf.saveState()
    pdf.translate(*centre)
    pdf.rotate(22)
    pdf.setStrokeColor(VOID_RED)
    pdf.setFillColor(VOID_RED)
    pdf.setStrokeAlpha(0.75)
    pdf.setFillAlpha(0.5)
    pdf.setLineWidth(2.2)
    pdf.roundRect(-58 * mm, -15 * mm, 116 * mm, 34 * mm, 4 * mm, stroke=1, fill=0)
    pdf.setFont(font, 40)
    pdf.drawCentredString(0, 3 * mm, "已退费  作废")
    pdf.setFont(font, 10)
    reason = REFUND_REASONS.get(payment.refund_reason, payment.refund_reason)
    pdf.drawCentredString(0, -9 * mm, f"退费日期 {_refund_date(payment)}  原因：{reason}")
    pdf.restoreState()
