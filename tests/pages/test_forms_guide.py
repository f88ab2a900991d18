"""Forms that guide: a refused form opens with an error summary linking to each field in error; each
field's help text and message are tied to it by ids that exist; the pledge is asked for on the first
submit, with the other errors."""

import re

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.forms import RegisterForm
from common.forms import AccessibleForm
from tests.factories import EmployeeFactory, PledgeFactory, user_for


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def described_by(html: str) -> list[str]:
    return [i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()]


def summary_links(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def render_fields(form) -> str:
    summary = render_to_string("includes/error_summary.html", {"form": form})
    return summary + "".join(render_to_string("includes/field.html", {"field": field}) for field in form)


class Choices(AccessibleForm):
    name = forms.CharField(label="Name", help_text="As on the card.")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    agree = forms.BooleanField(label="I agree", help_text="Read it first.")


@pytest.mark.parametrize("prefix", [None, "applicant"])
def test_every_description_a_field_points_at_exists_and_the_summary_links_to_each_field(prefix):
    form = Choices({}, prefix=prefix)
    assert not form.is_valid()

    html = render_fields(form)

    assert set(described_by(html)) <= ids_in(html)
    assert {f"{form['name'].auto_id}-help", f"{form['name'].auto_id}-error"} <= set(described_by(html))
    assert set(summary_links(html)) <= ids_in(html)
    assert summary_links(html) == [form["name"].auto_id, f"{form['kind'].auto_id}_0", form["agree"].auto_id]
    assert html.count('aria-invalid="true"') == 4  # the text box, both radios, the checkbox
    assert 'role="alert"' in html
    assert 'tabindex="-1"' in html


def test_a_valid_field_is_described_by_its_help_text_only_and_no_summary_is_shown():
    form = Choices({"name": "x", "kind": "a", "agree": "on"})
    assert form.is_valid()

    html = render_fields(form)

    assert described_by(html) == [f"{form['name'].auto_id}-help", f"{form['agree'].auto_id}-help"]
    assert "error-summary" not in html
    assert "aria-invalid" not in html


def test_one_field_with_two_errors_has_one_message_element():
    form = Choices({"name": "x", "kind": "a", "agree": "on"})
    form.is_valid()
    form.add_error("name", "First.")
    form.add_error("name", "Second.")

    html = render_fields(form)

    assert html.count(f'id="{form["name"].auto_id}-error"') == 1
    assert "First." in html
    assert "Second." in html


@pytest.mark.django_db
def test_a_refused_registration_opens_with_the_summary_and_every_reference_resolves(client):
    response = client.post(reverse("register"), {"id_number": "2102", "name": "", "phone": "12"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "data-error-summary" in html
    links = summary_links(html)
    assert links[:3] == ["id_id_number", "id_name", "id_phone"]
    assert set(links) | set(described_by(html)) <= ids_in(html)
    assert html.count("data-error-summary") == 1


@pytest.mark.django_db
def test_the_pledge_error_comes_on_the_first_submit_with_the_other_errors(client):
    PledgeFactory()
    authorizer = EmployeeFactory()
    client.force_login(user_for(authorizer.person))

    response = client.post(
        reverse("binding-create"),
        {
            "beneficiary_id_number": "21020219780512023",
            "beneficiary_name": "",
            "relation": "parent",
            "pledge_version": 1,
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "id_pledge_accepted" in summary_links(html)
    assert "id_beneficiary_id_number" in summary_links(html)
    assert 'id="id_pledge_accepted-error"' in html
    assert set(described_by(html)) <= ids_in(html)


def test_the_register_form_marks_only_the_refused_fields():
    form = RegisterForm({"id_number": "110105194912310021", "name": "张三", "phone": "13900000000"})
    form.is_valid()

    invalid = {name for name in form.fields if 'aria-invalid="true"' in str(form[name])}

    assert invalid == set(form.errors) - {"__all__"}


def test_the_summary_names_each_field_by_its_label_and_a_checkbox_by_its_message_alone():
    form = Choices({"name": "", "kind": "a"})
    form.is_valid()
    form.fields["name"].label = "Name:"

    with translation.override("en"):
        summary = render_to_string("includes/error_summary.html", {"form": form})
    items = [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]

    assert items == ["Name: This field is required.", "This field is required."]
