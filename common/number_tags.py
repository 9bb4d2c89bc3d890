"""Template filters of the one number format (common.numbers), built into every template (settings.TEMPLATES
"builtins"): {{ line.quantity_kg|number }} → "1.234,5", {{ line.quantity_kg|kg }} → "1.234,5 kg",
{{ event.latitude|latitude }} → "10,7769° B". None stays None, so `default_if_none` can follow."""

from django import template

from .numbers import format_kg, format_latitude, format_longitude, format_number

register = template.Library()

register.filter("number", format_number)
register.filter("kg", format_kg)
register.filter("latitude", format_latitude)
register.filter("longitude", format_longitude)
