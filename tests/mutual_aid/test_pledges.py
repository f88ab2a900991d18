"""The pledge: a fresh install serves the standard one, and a new text is published as the next version
(the service, `manage.py publish_pledge`, the admin), never twice the same."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from common.errors import ApplicationError
from mutual_aid.models import Binding, Pledge
from mutual_aid.pledges import STANDARD_PLEDGE_EN, STANDARD_PLEDGE_ZH, pledge_sha256
from mutual_aid.selectors import pledge_current
from mutual_aid.services import pledge_publish
from tests.api.conftest import client_for
from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory

migration = importlib.import_module("mutual_aid.migrations.0003_publish_standard_pledge")


def publish(*args) -> str:
    out = StringIO()
    call_command("publish_pledge", *args, stdout=out)
    return out.getvalue()


def test_a_fresh_database_serves_the_standard_pledge_and_binding_needs_nothing_else(db):
    pledge = pledge_current()
    assert (pledge.version, pledge.text_zh, pledge.text_en, pledge.sha256) == (
        1,
        STANDARD_PLEDGE_ZH,
        STANDARD_PLEDGE_EN,
        pledge_sha256(STANDARD_PLEDGE_ZH),
    )
    authorizer, parent = EmployeeFactory(), ResidentFactory()
    client = client_for(authorizer.person)

    served = client.get("/api/v1/pledge/").json()
    response = client.post(
        "/api/v1/bindings/",
        {
            "beneficiary_id_number": parent.person.id_number,
            "beneficiary_name": parent.person.name,
            "relation": "parent",
            "pledge_version": served["version"],
            "pledge_accepted": True,
        },
        format="json",
    )

    assert response.status_code == 201
    binding = Binding.objects.get(pk=response.json()["id"])
    assert (binding.pledge_version, binding.pledge_sha256) == (1, served["sha256"])


def test_the_migration_publishes_version_1_only_where_there_is_no_pledge(db):
    migration.publish_standard_pledge(apps, None)
    assert Pledge.objects.count() == 1  # the one the migration published already

    Pledge.objects.all().delete()
    migration.publish_standard_pledge(apps, None)

    assert list(Pledge.objects.values_list("version", "text_zh")) == [(1, STANDARD_PLEDGE_ZH)]


def test_the_command_publishes_the_files_as_the_next_version_and_signed_bindings_keep_theirs(db, tmp_path):
    signed = BindingFactory(pledge=pledge_current())
    zh, en = tmp_path / "zh.txt", tmp_path / "en.txt"
    zh.write_text("个人承诺书（2027年版）\n本人承诺所填信息真实。\n", encoding="utf-8")
    en.write_text("Personal pledge (2027)\nI pledge the information is true.\n", encoding="utf-8")

    out = publish("--zh", str(zh), "--en", str(en))

    pledge = pledge_current()
    assert (pledge.version, pledge.text_zh, pledge.text_en) == (
        2,
        "个人承诺书（2027年版）\n本人承诺所填信息真实。",
        "Personal pledge (2027)\nI pledge the information is true.",
    )
    assert pledge.sha256 == pledge_sha256(pledge.text_zh)
    assert "v2" in out
    signed.refresh_from_db()
    assert (signed.pledge.version, signed.pledge_version) == (1, 1)


def test_publishing_the_text_in_force_again_publishes_nothing(db, tmp_path):
    assert "nothing published" in publish()  # the standard text, in force since the migration
    (tmp_path / "zh.txt").write_text("新承诺书", encoding="utf-8")
    (tmp_path / "en.txt").write_text("A new pledge", encoding="utf-8")
    files = ("--zh", str(tmp_path / "zh.txt"), "--en", str(tmp_path / "en.txt"))

    publish(*files)
    again = publish(*files)

    assert "nothing published" in again
    assert list(Pledge.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_an_english_text_changed_alone_is_a_new_version(db):
    pledge = pledge_publish(text_zh=STANDARD_PLEDGE_ZH, text_en=STANDARD_PLEDGE_EN + "\n5. Revised.")

    assert (pledge.version, pledge.sha256) == (2, pledge_sha256(STANDARD_PLEDGE_ZH))


def test_an_earlier_text_published_again_is_the_next_version(db):
    pledge_publish(text_zh="新承诺书", text_en="A new pledge")

    pledge = pledge_publish(text_zh=STANDARD_PLEDGE_ZH, text_en=STANDARD_PLEDGE_EN)

    assert (pledge.version, pledge_current()) == (3, pledge)


@pytest.mark.parametrize(
    ("text_zh", "text_en", "field"), [("  \n", "A pledge", "text_zh"), ("承诺书", "", "text_en")]
)
def test_a_pledge_without_both_texts_is_refused_and_nothing_is_published(db, text_zh, text_en, field):
    with pytest.raises(ApplicationError) as refusal:
        pledge_publish(text_zh=text_zh, text_en=text_en)

    assert (refusal.value.code, refusal.value.field) == ("invalid_input", field)
    assert Pledge.objects.count() == 1


def test_the_command_wants_both_files_or_neither(db, tmp_path):
    (tmp_path / "zh.txt").write_text("新承诺书", encoding="utf-8")

    with pytest.raises(CommandError):
        publish("--zh", str(tmp_path / "zh.txt"))
    with pytest.raises(CommandError):
        publish("--zh", str(tmp_path / "zh.txt"), "--en", str(tmp_path / "missing.txt"))

    assert Pledge.objects.count() == 1


def test_the_admin_publishes_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/mutual_aid/pledge/add/", {"text_zh": "新承诺书\n", "text_en": "A new pledge\n", "version": 99}
    )

    assert response.status_code == 302
    pledge = pledge_current()
    assert (pledge.version, pledge.text_zh, pledge.sha256) == (2, "新承诺书", pledge_sha256("新承诺书"))
