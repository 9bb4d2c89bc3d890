"""The portal's form renderer builds inputs, selects and labels in Python: its HTML must be exactly Django's."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import RequestFactory
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from common.forms import PortalFormRenderer
from manifests.filters import ManifestFilter
from manifests.models import ManifestAccess

DJANGO = DjangoTemplates()
PORTAL = PortalFormRenderer()


class Everything(forms.Form):
    text = forms.CharField(label="Tên <b>&", help_text="help", widget=forms.TextInput(attrs={"placeholder": 'a "quoted" <x>', "autofocus": True, "hidden": False}))
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search", "data-x": mark_safe("<safe>")}))
    number = forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"step": "0.01", "min": 0}))
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    email = forms.EmailField(required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", "A & <b>"), (3, 3), ("lazy", gettext_lazy("Status"))], required=False)
    grouped = forms.ChoiceField(choices=[("Nhóm 1", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")], required=False)
    boxes = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False, widget=forms.CheckboxSelectMultiple)
    flag = forms.BooleanField(required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)
    unlabelled = forms.CharField(required=False, widget=forms.TextInput(attrs={"id": ""}))


DATA = {
    "text": 'x" onmouseover="y',
    "search": "<script>",
    "number": "1.5",
    "day": "2026-03-04",
    "secret": "pw&",
    "hidden": "h",
    "email": "not an email",
    "choice": "a",
    "grouped": "y",
    "many": ["a", "c"],
    "boxes": ["b"],
    "flag": "on",
    "note": "<n>",
}


def both(form_class, *args, **kwargs):
    return form_class(*args, renderer=DJANGO, **kwargs), form_class(*args, renderer=PORTAL, **kwargs)


@pytest.mark.parametrize("data", [None, DATA, {"text": "", "choice": "nope", "day": "bad", "number": "x"}])
def test_every_widget_and_label_is_djangos_html(data):
    django_form, portal_form = both(Everything, data, initial={"day": datetime.date(2026, 1, 2), "number": Decimal("2.50"), "choice": 3})
    for name in django_form.fields:
        assert str(portal_form[name]) == str(django_form[name]), name
        assert portal_form[name].label_tag() == django_form[name].label_tag(), name
        assert portal_form[name].label_tag(attrs={"class": "x"}, tag="legend") == django_form[name].label_tag(attrs={"class": "x"}, tag="legend")
    assert str(portal_form) == str(django_form)


def test_the_form_renderer_is_the_portals(settings):
    assert settings.FORM_RENDERER == "common.forms.PortalFormRenderer"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("data", [None, {"status": "in_transit", "province": "79", "date_from": "2026-01-01", "number": "01-2026"}, {"date_from": "bad"}])
def test_the_list_filters_render_as_with_djangos_templates(world, language, data):
    request = RequestFactory().get("/")
    with translation.override(language):
        rendered = []
        for renderer in (DJANGO, PORTAL):
            filterset = ManifestFilter(data, queryset=ManifestAccess.objects.none(), request=request)
            filterset.form.renderer = renderer
            filterset.form.is_valid()
            rendered.append([(str(field), field.label_tag()) for field in filterset.form.visible_fields()])
        assert rendered[0] == rendered[1]
        assert "<option" in str(rendered[1])


# --- a field as templates/partials/field.html prints it ------------------------------------------------------


@pytest.mark.parametrize("data", [None, DATA, {"text": "", "choice": "nope", "day": "bad", "number": "x"}])
def test_a_field_in_python_is_the_field_partials_html(data):
    from django.template.loader import render_to_string

    from common.forms import field_html

    form = Everything(data, renderer=PORTAL)
    for field in form:
        assert field_html(field) == render_to_string("partials/field.html", {"field": field}), field.name


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"date_from": "bad", "status": "nope"}])
def test_the_list_filters_print_as_with_the_field_partial(world, data):
    from django.template import Context, Template

    request = RequestFactory().get("/")
    request.user = world.alice
    form = ManifestFilter(data, queryset=ManifestAccess.objects.all(), request=request).form
    with translation.override("vi"):
        partial = Template('{% for field in form.visible_fields %}{% include "partials/field.html" %}{% endfor %}').render(Context({"form": form}))
        tag = Template("{% load manifest_tags %}{% form_fields form.visible_fields %}").render(Context({"form": form}))
    assert tag == partial and 'class="field' in tag
