"""The receipt (缴费凭证): a one-page PDF in Chinese that a page of the portal can verify."""

from __future__ import annotations

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from common.masking import mask_id_number
from common.money import fen_to_chinese_capitals, format_yuan
from mutual_aid.models import Relation
from payments.models import Payment, PaymentChannel, PaymentStatus

FONT = "STSong-Light"  # a CID font built into every PDF reader: Chinese with no font file
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

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


def receipt_lines(payment: Payment) -> list[tuple[str, str]]:
    created = timezone.localtime(payment.created_at)
    lines = [
        ("凭证编号", payment.reference),
        ("缴费年度", f"{payment.year}年度城乡居民基本医疗保险"),
        (
            "参保人（共济对象）",
            f"{payment.beneficiary.person.name}  {mask_id_number(payment.beneficiary.person.id_number)}",
        ),
        ("统筹地区", payment.region_code),
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
        lines.append(("状态", "已退费"))
    return lines


def receipt_pdf(*, payment: Payment) -> bytes:
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"缴费凭证 {payment.reference}")
    pdf.setFont(FONT, 18)
    pdf.drawCentredString(width / 2, height - 18 * mm, "城乡居民医保个人缴费凭证（家庭共济）")
    pdf.setLineWidth(0.6)
    pdf.line(15 * mm, height - 23 * mm, width - 15 * mm, height - 23 * mm)
    y = height - 32 * mm
    for label, value in receipt_lines(payment):
        pdf.setFont(FONT, 10.5)
        pdf.drawString(18 * mm, y, f"{label}：")
        pdf.setFont(FONT, 11)
        pdf.drawString(62 * mm, y, value)
        y -= 7.2 * mm
    pdf.setFont(FONT, 8.5)
    pdf.drawString(
        18 * mm, 10 * mm, "本凭证可在本平台“凭证查验”页面凭凭证编号与校验码查验真伪。身份证号已作脱敏处理。"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
