"""The tables of a submitted report, read from its frozen content only: one description shared by the page, the
PDF and the XLSX, so that the three always show the same thing.

Cells hold raw values (text, int, Decimal for kilograms); each renderer formats them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.documents import format_kg
from manifests.models import FollowUp

from .services import ENTRY_FIELDS


@dataclass
class Table:
    key: str
    title: str
    headers: list
    rows: list
    numeric: frozenset = frozenset()
    footer: list | None = None
    note: str = ""
    widths: list = field(default_factory=list)  # mm, as drafted for the PDF


def display(value):
    """A cell as text for the page and the PDF: kilograms in the active language's number format."""
    if isinstance(value, Decimal):
        return format_kg(value)
    return "" if value is None else str(value)


def displayed(table):
    """(rows, footer) of `table` with every cell as display text."""
    rows = [[display(value) for value in row] for row in table.rows]
    footer = [display(value) for value in table.footer] if table.footer else None
    return rows, footer


def _d(text):
    return Decimal(text)


def _method(row, source=True):
    if not row.get("method"):
        return _("not stated")
    text = f"{row['method']} – {row['method_name']}"
    if source and row.get("method_source") == "planned":
        text += " " + _("(planned)")
    return text


def _party(party):
    return f"{party['name']} ({party['tax_code']}) – {party['site']}"


def _total_row(columns, values):
    """A footer: "Total" in the first column, `values` {column index: value}, empty elsewhere."""
    return [_("Total") if index == 0 else values.get(index, "") for index in range(columns)]


def _handed_over(key, title, rows, total, note=""):
    headers = [_("Waste code"), _("Waste name"), _("Treatment method"), _("Receiving facility"), _("Permit number"), _("Manifests"), _("Quantity (kg)")]
    body = [
        [r["waste_code"], r["waste_name"], _method(r), _party(r["facility"]), r["permit"], r["manifests"], _d(r["quantity_kg"])]
        for r in rows
    ]
    return Table(key, title, headers, body, frozenset({5, 6}), _total_row(7, {6: _d(total)}), note, [18, 36, 28, 42, 34, 14, 22])


def _entered(kind, content):
    fields = ENTRY_FIELDS[kind]
    headers = [_("Waste code"), _("Waste name")] + [str(label) for _key, label in fields]
    body = [[r["waste_code"], r["waste_name"]] + [_d(r[key]) for key, _label in fields] for r in content["entered"]]
    totals = {index + 2: _d(content["entered_totals"][key]) for index, (key, _label) in enumerate(fields)}
    numeric = frozenset(range(2, 2 + len(fields)))
    return Table(
        "entered",
        _("Declared by the enterprise (not known to the portal)"),
        headers,
        body,
        numeric,
        _total_row(len(headers), totals),
        widths=[18, 50] + [28] * len(fields),
    )


def _generator_tables(content):
    prefill = content["prefill"]
    returned = prefill["returned"]
    return [
        _handed_over(
            "handed_over",
            _("Hazardous waste handed over under manifests"),
            prefill["handed_over"],
            prefill["handed_over_kg"],
            _("Quantities as received by the facility (else as confirmed at pickup); rejected lines are not counted; a method marked “planned” was not yet recorded as carried out."),
        ),
        _entered("generator", content),
        Table(
            "returned",
            _("Rejected loads returned to the site (not counted above)"),
            [_("Waste code"), _("Waste name"), _("Manifests"), _("Quantity (kg)")],
            [[r["waste_code"], r["waste_name"], r["manifests"], _d(r["quantity_kg"])] for r in returned],
            frozenset({2, 3}),
            widths=[18, 90, 20, 28],
        ),
    ]


def _onward_kind(kind):
    return FollowUp(kind).label if kind in FollowUp.values else kind


def _facility_tables(content):
    p = content["prefill"]
    stock_totals = {
        index: sum((_d(r[key]) for r in p["stock"]), Decimal(0)) for index, key in ((2, "opening_kg"), (3, "received_kg"), (4, "treated_kg"), (5, "closing_kg"))
    }
    return [
        Table(
            "received",
            _("Received by generator and province of origin"),
            [_("Generator"), _("Tax code"), _("Province of origin"), _("Waste code"), _("Waste name"), _("Manifests"), _("Quantity (kg)")],
            [
                [r["generator"]["name"], r["generator"]["tax_code"], r["province"]["name"], r["waste_code"], r["waste_name"], r["manifests"], _d(r["quantity_kg"])]
                for r in p["received"]
            ],
            frozenset({5, 6}),
            _total_row(7, {6: _d(p["received_kg"])}),
            _("Accepted quantities by date of receipt; rejected lines are not counted."),
            [36, 22, 26, 18, 40, 14, 22],
        ),
        Table(
            "treated",
            _("Treated by method"),
            [_("Treatment method"), _("Waste code"), _("Waste name"), _("Quantity (kg)")],
            [[_method(r, source=False), r["waste_code"], r["waste_name"], _d(r["quantity_kg"])] for r in p["treated"]],
            frozenset({3}),
            _total_row(4, {3: _d(p["treated_kg"])}),
            widths=[40, 18, 70, 26],
        ),
        Table(
            "stock",
            _("Stock (received − treated)"),
            [_("Waste code"), _("Waste name"), _("At 1 January (kg)"), _("Received (kg)"), _("Treated (kg)"), _("At 31 December (kg)")],
            [[r["waste_code"], r["waste_name"], _d(r["opening_kg"]), _d(r["received_kg"]), _d(r["treated_kg"]), _d(r["closing_kg"])] for r in p["stock"]],
            frozenset({2, 3, 4, 5}),
            _total_row(6, stock_totals),
            widths=[18, 50, 24, 24, 24, 24],
        ),
        Table(
            "onward",
            _("Rejected loads sent on (follow-up manifests)"),
            [pgettext("follow-up manifest", "Follow-up"), _("Destination"), _("Permit number"), _("Waste code"), _("Waste name"), _("Manifests"), _("Quantity (kg)")],
            [
                [_onward_kind(r["kind"]), _party(r["facility"]), r["permit"], r["waste_code"], r["waste_name"], r["manifests"], _d(r["quantity_kg"])]
                for r in p["onward"]
            ],
            frozenset({5, 6}),
            note=_("A return to the generator is not a transfer to a treatment facility."),
            widths=[26, 40, 32, 18, 30, 14, 22],
        ),
        _handed_over("residues", _("Residues and own waste handed over under manifests"), p["residues"], p["residues_kg"]),
        _entered("facility", content),
    ]


def report_tables(content):
    """The tables of a report's content, in the order of the form."""
    return _facility_tables(content) if content["kind"] == "facility" else _generator_tables(content)
