"""The error summary at the top of every form page (templates/partials/error_summary.html).

After a refused submission the page opens on a list of what is wrong, each item a link to its field by id, so a
phone does not reload at the top with the error below the first screen. base.html renders it for every page:
the forms are found in the template context (forms and formsets, in the order the view put them there).

A form may add to it: `error_label(name, bound_field)` names a field more precisely than its label (which line
of a manifest), `extra_error_links()` yields (label, message, element id) for errors kept outside the fields.
"""

from django import forms, template
from django.utils.translation import gettext as _

register = template.Library()


def _field_target(bound_field):
    """The id of the element to focus: the input, or the first box of a group of checkboxes or radios."""
    return bound_field.id_for_label or (f"{bound_field.auto_id}_0" if bound_field.auto_id else "")


def _form_links(form, prefix=""):
    if not form.is_bound or not form.errors:
        return []
    links = [{"label": prefix, "message": message, "target": ""} for message in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound_field = form[name]
        label = form.error_label(name, bound_field) if hasattr(form, "error_label") else bound_field.label
        label = f"{prefix} – {label}" if prefix else label
        hidden = bound_field.is_hidden
        for message in messages:
            links.append({"label": label, "message": message, "target": "" if hidden else _field_target(bound_field)})
    for label, message, target in getattr(form, "extra_error_links", list)():
        links.append({"label": label, "message": message, "target": target})
    return links


def _formset_links(formset):
    if not formset.is_bound:
        return []
    links = [{"label": "", "message": message, "target": ""} for message in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        links += _form_links(form, prefix=_("Line %(number)s") % {"number": number})
    return links


def error_links(*candidates):
    """(label, message, target id) of every error of the given forms and formsets, in order, each form once."""
    links, seen = [], set()
    for candidate in candidates:
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if isinstance(candidate, forms.BaseFormSet):
            links += _formset_links(candidate)
        elif isinstance(candidate, forms.BaseForm):
            links += _form_links(candidate)
    return links


@register.inclusion_tag("partials/error_summary.html", takes_context=True)
def error_summary(context, *forms_and_formsets):
    """The summary of the given forms, or of every form and formset of the page when none is given."""
    candidates = forms_and_formsets or [
        value for value in context.flatten().values() if isinstance(value, (forms.BaseForm, forms.BaseFormSet))
    ]
    return {"errors": error_links(*candidates)}
