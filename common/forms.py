"""The form renderer of the portal (settings.FORM_RENDERER): Django's own widget templates, with the most common
ones built in Python.

Django renders every widget, every <option> of a select and every label through a template include; the list
filters alone (three selects, 34 provinces) cost more CPU than the rows of the list. The templates reproduced
here are Django's `django/forms/widgets/{input,text,...,select,select_option,attrs}.html` and
`django/forms/label.html`, character for character (tests/common/test_form_renderer.py compares the output
with Django's templates for every widget of the portal's forms); any other template goes to Django.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import template_localtime


def _value(value):
    """{{ value }} under autoescaping (django.template.base.render_value_in_context)."""
    if not isinstance(value, (str, Promise)):
        value = localize(template_localtime(value))
    return conditional_escape(value)


def _format(value):
    """{{ value|stringformat:'s' }}: stringformat keeps safe text safe (is_safe=True)."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs):
    """django/forms/widgets/attrs.html (and django/forms/attrs.html, the same loop)."""
    return "".join(
        f" {_value(name)}" if value is True else f' {_value(name)}="{_format(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    value = "" if widget.get("value") is None else f' value="{_format(widget["value"])}"'
    return f'<input type="{_value(widget.get("type", ""))}" name="{_value(widget["name"])}"{value}{_attrs(widget["attrs"])}>\n'


def _option(option):
    return f'<option value="{_format(option["value"])}"{_attrs(option["attrs"])}>{_value(option["label"])}</option>\n'


INPUT_TEMPLATES = {
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel", "color")
}


class PortalFormRenderer(DjangoTemplates):
    """Django's DjangoTemplates renderer; inputs, selects, options and labels built without a template."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            # Each of these templates is {% include "django/forms/widgets/input.html" %} and a newline.
            return _input(context["widget"]).strip()
        if template_name == "django/forms/widgets/select.html":
            return self._select(context).strip()
        if template_name == "django/forms/label.html":
            if not context["use_tag"]:
                return str(_value(context["label"])).strip()
            tag = _value(context["tag"])
            return f"<{tag}{_attrs(context['attrs'] or {})}>{_value(context['label'])}</{tag}>"
        return super().render(template_name, context, request)

    def _select(self, context):
        widget = context["widget"]
        parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_value(group_name)}">')
            for option in group_choices:
                if option["template_name"] == "django/forms/widgets/select_option.html":
                    parts.append(f"\n  {_option(option)}")
                else:
                    # An include without strip: what the template gives, its last newline included.
                    parts.append("\n  " + self.get_template(option["template_name"]).render({**context, "widget": option}))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)


def field_html(field):
    """One bound field as templates/partials/field.html prints it (label, input, help, errors), character for
    character, without the include: a page of filters renders eight of them on every request."""
    classes = (" has-error" if field.errors else "") + (" required" if field.field.required else "")
    widget_type = field.widget_type
    if widget_type == "checkbox":
        body = f'\n    <label class="checkbox">{_value(field)} {_value(field.label)}</label>\n  '
    elif widget_type == "checkboxselectmultiple":
        body = f"\n    <fieldset><legend>{_value(field.label)}</legend>{_value(field)}</fieldset>\n  "
    else:
        body = f"\n    {_value(field.label_tag())}\n    {_value(field)}\n  "
    auto_id = _value(field.auto_id)
    help_text = f'<p class="help" id="{auto_id}_helptext">{_value(field.help_text)}</p>' if field.help_text else ""
    errors = "".join(f'<p class="error" id="{auto_id}_error">{_value(error)}</p>' for error in field.errors)
    return SafeString(f'\n<div class="field{classes}">\n  {body}\n  {help_text}\n  {errors}\n</div>\n')
