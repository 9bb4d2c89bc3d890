"""The admin imports of capacities and coordinates read numbers by the portal's one rule (common.numbers)."""

from decimal import Decimal

import pytest
import tablib
from django.utils import translation

from accounts.models import Vehicle
from accounts.resources import SiteResource, VehicleResource

pytestmark = pytest.mark.django_db


def vehicles(world, *capacities):
    headers = ["plate", "organisation_tax_code", "description", "capacity_kg", "active"]
    rows = [(f"51C-000.{index:02d}", world.omega.tax_code, "Xe tải", capacity, 1) for index, capacity in enumerate(capacities)]
    with translation.override("vi"):
        return VehicleResource().import_data(tablib.Dataset(*rows, headers=headers), dry_run=False)


def test_a_capacity_that_reads_two_ways_is_refused_with_both_readings(world):
    result = vehicles(world, "1.250")
    assert result.has_validation_errors()
    (message,) = result.invalid_rows[0].error_dict["capacity_kg"]
    assert "1,25\u00a0kg" in message and "1.250\u00a0kg" in message
    assert not Vehicle.objects.filter(plate="51C-000.00").exists()


def test_clear_capacities_are_read_in_either_format(world):
    result = vehicles(world, "1.250,5", "8,000.75", 2500.0)
    assert not result.has_validation_errors(), [row.error_dict for row in result.invalid_rows]
    assert not result.has_errors()
    assert list(Vehicle.objects.filter(plate__startswith="51C-000.").order_by("plate").values_list("capacity_kg", flat=True)) == [
        Decimal("1250.5"), Decimal("8000.75"), Decimal("2500"),
    ]


def test_coordinates_take_a_decimal_comma_and_have_no_thousands():
    widget = SiteResource.fields["latitude"].widget
    assert widget.clean("10,776900") == Decimal("10.7769")
    assert widget.clean("21.028") == Decimal("21.028")  # a coordinate never reads as 21028
    assert widget.clean("") is None
