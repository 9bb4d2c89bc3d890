from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import normalise_plate, validate_latitude_longitude, validate_plate, validate_tax_code


@pytest.mark.parametrize("value", ["0101234567", "0309999999-001"])
def test_tax_code_accepts_ten_digits_or_a_branch(value):
    validate_tax_code(value)


@pytest.mark.parametrize("value", ["", "010123456", "01012345678", "0101234567-01", "0101234567-0011", "01012345a7", "0101234567 001"])
def test_tax_code_rejects_other_shapes(value):
    with pytest.raises(ValidationError):
        validate_tax_code(value)


@pytest.mark.parametrize(
    "raw, expected",
    [("51c 12345", "51C-123.45"), ("29A-1234", "29A-1234"), ("51LD12345", "51LD-123.45"), ("29c1-123.45", "29C1-123.45")],
)
def test_plates_are_normalised_and_valid(raw, expected):
    assert normalise_plate(raw) == expected
    validate_plate(normalise_plate(raw))


@pytest.mark.parametrize("value", ["", "ABC-12345", "5C-123.45", "51C-12", "51C-1234567", "09C-123.45", "51-123.45"])
def test_plates_in_other_formats_are_rejected(value):
    with pytest.raises(ValidationError):
        validate_plate(normalise_plate(value))


def test_position_inside_vietnam_is_accepted():
    validate_latitude_longitude(Decimal("21.028511"), Decimal("105.804817"))
    validate_latitude_longitude(None, None)


@pytest.mark.parametrize(
    "lat, lng",
    [("1.3521", "103.8198"), ("13.7563", "100.5018"), ("35.0", "105.0"), ("21.0", "95.0")],
)
def test_position_outside_vietnam_is_rejected(lat, lng):
    with pytest.raises(ValidationError) as exc:
        validate_latitude_longitude(Decimal(lat), Decimal(lng))
    assert exc.value.code == "outside_vietnam"


def test_half_a_position_is_rejected():
    with pytest.raises(ValidationError):
        validate_latitude_longitude(Decimal("21.0"), None)


@pytest.mark.django_db
def test_vehicle_model_normalises_before_validating(world):
    from accounts.models import Vehicle

    vehicle = Vehicle(organisation=world.omega, plate="51d 67890")
    vehicle.full_clean()
    vehicle.save()
    assert vehicle.plate == "51D-678.90"


@pytest.mark.django_db
def test_organisation_needs_a_kind_in_the_database(world):
    from django.db import IntegrityError, transaction

    from accounts.models import Organisation

    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="No kind", tax_code="0100000001")


@pytest.mark.django_db
def test_site_ward_must_belong_to_the_province(world):
    site = world.alpha_hn
    site.ward = world.hcm_ward
    with pytest.raises(ValidationError) as exc:
        site.full_clean()
    assert "ward" in exc.value.message_dict
