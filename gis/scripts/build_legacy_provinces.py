"""Build gis/data/legacy_provinces.json: the 63 pre-2025 provinces and today's province each one merged into.

Run once, by hand, and commit the output (the loader, `manage.py load_geography`, reads only the JSON):

    .venv/bin/python gis/scripts/build_legacy_provinces.py [PATH]

PATH is the wheel of vietnam-provinces 0.6.0 or a directory it was unpacked into. Without PATH the wheel is fetched
with `pip download --no-deps vietnam-provinces==0.6.0` into a temporary directory.

Sources:
- old provinces and their official codes: vietnam-provinces 0.6.0, `vietnam_provinces/data/nested-divisions.json`
  (GPL-3.0-or-later, https://github.com/sunshine-tech/VietnamProvinces);
- today's provinces: the pinned vietnam-provinces 2025.10.1 installed in the virtualenv;
- the merger list: Resolution 202/2025/QH15 on the arrangement of provincial units (new units are unions of
  whole old provinces; every new unit keeps the name of one of its old provinces).

Matching is by name, never by code: codes were reused (today's Gia Lai is 52, the old Bình Định's code; today's
Tây Ninh is 80, the old Long An's; today's Quảng Trị is 44, the old Quảng Bình's).
"""

import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

from vietnam_provinces import Province

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "legacy_provinces.json"
SOURCE_VERSION = "0.6.0"
DATA_MEMBER = "vietnam_provinces/data/nested-divisions.json"

# Today's province (by name) -> the old provinces it absorbed, besides the one whose name it kept.
ABSORBED = {
    "Tuyên Quang": ["Hà Giang"],
    "Lào Cai": ["Yên Bái"],
    "Thái Nguyên": ["Bắc Kạn"],
    "Phú Thọ": ["Vĩnh Phúc", "Hòa Bình"],
    "Bắc Ninh": ["Bắc Giang"],
    "Hưng Yên": ["Thái Bình"],
    "Hải Phòng": ["Hải Dương"],
    "Ninh Bình": ["Hà Nam", "Nam Định"],
    "Quảng Trị": ["Quảng Bình"],
    "Đà Nẵng": ["Quảng Nam"],
    "Quảng Ngãi": ["Kon Tum"],
    "Gia Lai": ["Bình Định"],
    "Khánh Hòa": ["Ninh Thuận"],
    "Lâm Đồng": ["Đắk Nông", "Bình Thuận"],
    "Đắk Lắk": ["Phú Yên"],
    "Hồ Chí Minh": ["Bình Dương", "Bà Rịa - Vũng Tàu"],
    "Đồng Nai": ["Bình Phước"],
    "Tây Ninh": ["Long An"],
    "Cần Thơ": ["Sóc Trăng", "Hậu Giang"],
    "Vĩnh Long": ["Bến Tre", "Trà Vinh"],
    "Đồng Tháp": ["Tiền Giang"],
    "Cà Mau": ["Bạc Liêu"],
    "An Giang": ["Kiên Giang"],
}
UNCHANGED = [
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Cao Bằng",
]  # fmt: skip
# Earlier names that may appear in the source for the same unit.
ALIASES = {"thuathienhue": "hue"}

PREFIXES = ("Thành phố ", "Tỉnh ")


def strip_prefix(name):
    for prefix in PREFIXES:
        name = name.removeprefix(prefix)
    return name


def key(name):
    """'Tỉnh Bà Rịa - Vũng Tàu' -> 'bariavungtau'; 'Hoà Bình' and 'Hòa Bình' -> 'hoabinh'."""
    name = strip_prefix(unicodedata.normalize("NFC", name.strip()))
    name = name.replace("Đ", "D").replace("đ", "d")
    ascii_name = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    k = "".join(c for c in ascii_name.lower() if c.isalnum())
    return ALIASES.get(k, k)


def read_source(path):
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="vp06-"))
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", f"vietnam-provinces=={SOURCE_VERSION}", "-d", str(tmp)],
            check=True,
        )
        path = next(tmp.glob("vietnam_provinces-*.whl"))
    path = Path(path)
    if path.is_dir():
        candidates = list(path.rglob("nested-divisions.json"))
        assert len(candidates) == 1, f"expected one nested-divisions.json under {path}, found {candidates}"
        return json.loads(candidates[0].read_text(encoding="utf-8"))
    with zipfile.ZipFile(path) as wheel:
        return json.loads(wheel.read(DATA_MEMBER).decode("utf-8"))


def build(source):
    today = {key(p.name): p for p in Province.iter_all()}
    assert len(today) == 34, len(today)

    target_of = {}  # old key -> today's Province
    for new_name, olds in ABSORBED.items():
        new = today[key(new_name)]
        for old in [new_name, *olds]:
            assert key(old) not in target_of, f"{old} listed twice"
            target_of[key(old)] = new
    for name in UNCHANGED:
        assert key(name) not in target_of, f"{name} listed twice"
        target_of[key(name)] = today[key(name)]
    assert len(target_of) == 63, len(target_of)

    rows, seen = [], set()
    for item in source:
        k = key(item["name"])
        assert k in target_of, f"old province {item['name']!r} is in no merger"
        assert k not in seen, f"old province {item['name']!r} appears twice in the source"
        seen.add(k)
        # Today's package's style: "Cao Bằng" but "Thành phố Hà Nội"; codenames "cao_bang", "ha_noi".
        name = unicodedata.normalize("NFC", item["name"]).removeprefix("Tỉnh ")
        codename = item["codename"].removeprefix("tinh_").removeprefix("thanh_pho_")
        rows.append({"code": int(item["code"]), "name": name, "codename": codename, "province": int(target_of[k].code)})

    rows.sort(key=lambda r: r["code"])
    assert len(rows) == 63, f"expected 63 old provinces, got {len(rows)}"
    assert seen == set(target_of), f"unmatched: {sorted(set(target_of) - seen)}"
    assert len({r["code"] for r in rows}) == 63
    assert len({r["codename"] for r in rows}) == 63
    assert len({r["province"] for r in rows}) == 34, "every one of the 34 provinces must receive an old one"
    return rows


def main(argv):
    rows = build(read_source(argv[1] if len(argv) > 1 else None))
    document = {
        "source": f"vietnam-provinces {SOURCE_VERSION} (PyPI), vietnam_provinces/data/nested-divisions.json; "
        "https://github.com/sunshine-tech/VietnamProvinces",
        "licence": "GPL-3.0-or-later (vietnam-provinces, © Nguyễn Hồng Quân)",
        "mapping": "Resolution 202/2025/QH15: pre-2025 province -> the province it belongs to since 1 July 2025 "
        "(codes of the pinned vietnam-provinces 2025.10.1)",
        "generated_by": "gis/scripts/build_legacy_provinces.py",
        "provinces": rows,
    }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    # One province per line: short, diff-friendly.
    body = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
    text = text[: text.index('"provinces": [') + len('"provinces": [')] + "\n" + body + "\n ]\n}"
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    print(f"{len(rows)} legacy provinces -> {len({r['province'] for r in rows})} provinces, written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
