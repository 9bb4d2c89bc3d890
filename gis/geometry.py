"""Is a point inside Vietnam?  A coarse test by bounding boxes, to be replaced by the outline polygon."""

from decimal import Decimal

# (south, west, north, east) boxes: mainland and near islands, Hoàng Sa, Trường Sa.
_BOXES = [
    (Decimal("8.30"), Decimal("102.10"), Decimal("23.40"), Decimal("109.50")),
    (Decimal("15.70"), Decimal("111.00"), Decimal("17.20"), Decimal("112.80")),
    (Decimal("6.50"), Decimal("111.50"), Decimal("11.60"), Decimal("117.90")),
]


def point_in_vietnam(lat, lng):
    return any(s <= lat <= n and w <= lng <= e for s, w, n, e in _BOXES)
