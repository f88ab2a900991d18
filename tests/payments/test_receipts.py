"""The receipt: an embedded font, the region's name and the issuer, a QR code that opens the check page,
and a void stamp once refunded (read back with poppler's pdffonts, pdftotext, pdftoppm and zxing-cpp)."""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.utils import timezone
from PIL import Image

from payments.models import Payment
from payments.receipts import receipt_check_url, receipt_font, receipt_pdf
from payments.services import payment_refund
from tests.factories import UserFactory
from tests.payments.paying import payment_create_for_relative

BASE = "https://gongji.example.gov.cn"
ISSUER = "大连市医疗保障事务服务中心"


def poppler(tool: str, *args: str) -> str:
    assert shutil.which(tool), f"{tool} is missing: apt-get install poppler-utils"
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout  # noqa: S603


@pytest.fixture
def paid(family, year, actor_for):
    payment = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )
    return Payment.objects.select_related("beneficiary__person", "authorizer__person").get(pk=payment.pk)


@pytest.fixture
def refunded(paid):
    return payment_refund(payment=paid, reason="deceased", note="", operator=UserFactory())


def pdf_file(tmp_path: Path, payment: Payment, **settings) -> Path:
    path = tmp_path / f"receipt-{payment.pk}-{payment.status}.pdf"
    with override_settings(**{"PORTAL_BASE_URL": BASE, **settings}):
        path.write_bytes(receipt_pdf(payment=payment, request=RequestFactory().get("/")))
    return path


def qr_codes(path: Path) -> list[str]:
    poppler("pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(path.with_suffix("")))
    return [code.text for code in zxingcpp.read_barcodes(Image.open(path.with_suffix(".png")))]


def test_every_font_of_the_receipt_is_embedded_truetype(tmp_path, paid):
    listing = poppler("pdffonts", str(pdf_file(tmp_path, paid))).splitlines()[2:]

    assert listing, "the receipt names no font"
    for row in listing:
        emb, sub, uni = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row).groups()
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert "TrueType" in row


def test_the_receipt_names_the_region_and_the_issuer(tmp_path, paid):
    text = poppler("pdftotext", str(pdf_file(tmp_path, paid, RECEIPT_ISSUER=ISSUER)), "-")

    assert "大连市（210200）" in text
    assert ISSUER in text
    assert paid.reference in text
    assert "肆佰贰拾元整" in text
    assert paid.beneficiary.person.id_number not in text


def test_the_issuer_defaults_to_a_neutral_name(tmp_path, paid):
    text = poppler("pdftotext", str(pdf_file(tmp_path, paid)), "-")

    assert "开具机构：医疗保障经办机构" in text


def test_the_qr_code_opens_the_check_page_with_the_receipt_filled_in(tmp_path, paid, client):
    path = pdf_file(tmp_path, paid)

    [url] = qr_codes(path)

    assert url == f"{BASE}/receipts/verify/?reference={paid.reference}&code={paid.verification_code}"
    assert f"{BASE}/receipts/verify/" in poppler("pdftotext", str(path), "-")
    checked = client.get(f"{urlsplit(url).path}?{urlsplit(url).query}").content.decode()
    assert "真实有效" in checked


def test_without_a_base_url_the_qr_code_names_the_requests_host(paid):
    with override_settings(PORTAL_BASE_URL="", ALLOWED_HOSTS=["portal.test"]):
        url = receipt_check_url(payment=paid, request=RequestFactory().get("/", HTTP_HOST="portal.test"))
        with pytest.raises(ImproperlyConfigured, match="PORTAL_BASE_URL"):
            receipt_check_url(payment=paid)

    assert url.startswith("http://portal.test/receipts/verify/?reference=")


def test_a_refunded_receipt_carries_a_void_stamp_and_still_verifies_as_refunded(tmp_path, refunded, client):
    path = pdf_file(tmp_path, refunded)
    text = poppler("pdftotext", str(path), "-")

    assert "作废" in text
    assert "已退费" in text
    assert "参保人已身故" in text
    assert f"{timezone.localtime(refunded.refunded_at):%Y-%m-%d}" in text
    [url] = qr_codes(path)
    checked = client.get(f"{urlsplit(url).path}?{urlsplit(url).query}").content.decode()
    assert "已退费，此凭证已作废" in checked
    assert "真实有效" not in checked


def test_a_settled_receipt_has_no_void_mark(tmp_path, paid):
    text = poppler("pdftotext", str(pdf_file(tmp_path, paid)), "-")

    assert "作废" not in text
    assert "已退费" not in text
    assert "已缴费" in text


def test_a_font_without_truetype_outlines_is_refused_clearly(tmp_path, paid):
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"OTTO" + bytes(64))  # a CFF font's tag, which reportlab cannot embed
    receipt_font.cache_clear()
    try:
        with (
            override_settings(RECEIPT_FONT=str(bogus)),
            pytest.raises(ImproperlyConfigured, match="TrueType"),
        ):
            receipt_pdf(payment=paid, request=RequestFactory().get("/"))
    finally:
        receipt_font.cache_clear()
