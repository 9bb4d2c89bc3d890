"""The figures of a statistics report: the dashboards' own selectors (stats.selectors, rollup tables only), so a
report prints exactly what the dashboard shows for the same year and province. No query of its own but the
province's name."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from gis.models import Province

from .. import selectors

# The dashboard tables a report prints (stats.selectors.national), in the report's order.
TABLES = ("by_province", "by_chapter", "by_code", "by_method", "by_month", "flows", "top_generators", "facilities")
FLOW_FROM, FLOW_TO, FLOW_KG = 0, 1, 2  # columns of the dashboard's "flows" table: from, to, transported (kg)


@dataclass
class FlowMatrix:
    """Transported quantity (kg) from generator provinces (rows) to facility provinces (columns): the dashboard's
    flow table pivoted. Only provinces with a flow appear; the largest senders and receivers first."""

    origins: list = field(default_factory=list)
    destinations: list = field(default_factory=list)
    cells: dict = field(default_factory=dict)  # (origin, destination) -> kg

    @classmethod
    def from_flows(cls, table):
        cells, sent, received = {}, {}, {}
        for row in table.rows:
            origin, destination, kg = row[FLOW_FROM], row[FLOW_TO], Decimal(row[FLOW_KG] or 0)
            cells[origin, destination] = cells.get((origin, destination), Decimal(0)) + kg
            sent[origin] = sent.get(origin, Decimal(0)) + kg
            received[destination] = received.get(destination, Decimal(0)) + kg
        by_size = lambda totals: sorted(totals, key=lambda name: (-totals[name], name))  # noqa: E731
        return cls(by_size(sent), by_size(received), cells)

    def cell(self, origin, destination):
        return self.cells.get((origin, destination))

    def row_total(self, origin):
        return sum((self.cells.get((origin, d), Decimal(0)) for d in self.destinations), Decimal(0))

    def column_total(self, destination):
        return sum((self.cells.get((o, destination), Decimal(0)) for o in self.origins), Decimal(0))

    @property
    def total(self):
        return sum(self.cells.values(), Decimal(0))


@dataclass
class ReportData:
    """Everything one report prints: the year, the province (None: the whole country), the dashboard's totals and
    tables (stats.selectors.Table, by name) and the flow matrix."""

    year: int
    province: Province | None
    totals: dict
    tables: dict
    matrix: FlowMatrix

    @property
    def place(self):
        return self.province.name if self.province else _("Whole country")

    @property
    def national(self):
        return self.province is None


def gather(year, province=None):
    """The figures of `year` for the whole country (`province` None) or one Province, as the officials'
    dashboard computes them (stats.selectors.national with the same filters)."""
    filters = selectors.Filters(year=year, province=province.pk if province else None)
    figures = selectors.national(filters)
    tables = {table.name: table for table in figures["tables"]}
    return ReportData(
        year=year,
        province=province,
        totals=figures["totals"],
        tables={name: tables[name] for name in TABLES},
        matrix=FlowMatrix.from_flows(tables["flows"]),
    )


def short_name(name):
    """A province's name without its division type, for narrow headings: "Hồ Chí Minh", "Lào Cai"."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if name and name.startswith(prefix):
            return name[len(prefix) :]
    return name or ""
