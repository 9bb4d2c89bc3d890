"""Benchmark: time to render the one-page PDF copy of record (target: p95 < 50 ms).

    DEBUG=1 .venv/bin/python benchmarks/bench_pdf.py [--iterations 200] [--write DIR]

Builds a throwaway SQLite database (migrated quietly), one completed manifest with 3 lines through the
services (so every section of the PDF is filled), then renders it N times in Vietnamese and prints
p50 / p95 / max in milliseconds. Each iteration loads the manifest afresh as the view does, so the
document's own queries are inside the timing; the first render (font registration) is reported apart.
"manifest" encodes the QR code every time (first print of the hour); "manifest-rep" is the same copy
printed again within the hour (the QR matrix is reused). Not a test: figures depend on the machine;
CPU time and the minimum are steadier than wall time when other processes share the CPU.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_path):
    sys.path.insert(0, str(ROOT))
    # Whatever the shell exports: a throwaway SQLite file; notification e-mails queue in Celery's in-memory
    # broker and are never sent (not what is measured).
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["SQLITE_PATH"] = db_path
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "No hostname was supplied" (memory broker)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_manifest():
    """A completed manifest with 3 lines: Alpha (Hà Nội) → Omega (HCM), like tests/conftest.py's `chain`, with what a
    real copy prints: hazard properties, a former management code, phones, positions of pickup and delivery, named
    signers with their positions (the handover by a personal code), planned and actual methods ("Khác" described),
    a pickup discrepancy and a reception discrepancy."""
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Membership
    from catalog.models import HazardProperty, PhysicalState
    from manifests import services
    from manifests.models import Packaging
    from tests import factories

    hanoi = factories.ProvinceFactory(code=1, name="Thành phố Hà Nội", codename="ha_noi", division_type="thành phố trung ương")
    hcm = factories.ProvinceFactory(code=79, name="Thành phố Hồ Chí Minh", codename="ho_chi_minh", division_type="thành phố trung ương")
    hanoi_ward = factories.WardFactory(code=70, name="Phường Hoàn Kiếm", province=hanoi)
    hcm_ward = factories.WardFactory(code=26734, name="Phường Sài Gòn", province=hcm)
    alpha = factories.OrganisationFactory(name="Công ty TNHH Alpha Việt Nam", tax_code="0101234567", phone="024 3825 1234")
    alpha_hn = factories.SiteFactory(organisation=alpha, name="Nhà máy Alpha Hà Nội", ward=hanoi_ward, legacy_code="01.000123.T")
    omega = factories.OrganisationFactory(
        name="Công ty CP Môi trường Omega", tax_code="0301234567", is_generator=False, is_transporter=True, is_facility=True,
        phone="028 3930 5678", address="12 Đường Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
    )
    omega_site = factories.SiteFactory(organisation=omega, name="Khu xử lý Omega", ward=hcm_ward, latitude="10.8", longitude="106.7")

    def member(username, full_name, org, role, position):
        user = factories.UserFactory(username=username, full_name=full_name)
        return user, factories.MembershipFactory(user=user, organisation=org, role=role, position=position)

    alice, _ = member("alice", "Nguyễn Thị Lan", alpha, Membership.Role.ADMIN, "Trưởng phòng An toàn – Môi trường")
    fred, _ = member("fred", "Trần Văn Hùng", omega, Membership.Role.MEMBER, "Quản đốc khu xử lý")
    dan, _ = member("dan", "Phạm Văn Tài", omega, Membership.Role.DRIVER, "Lái xe")
    truck = factories.VehicleFactory(organisation=omega, plate="51C-123.45")
    hazards = {code: HazardProperty.objects.create(code=code, name_vi=name) for code, name in [("C", "Dễ cháy"), ("Đ", "Có độc tính"), ("ĐS", "Có độc tính sinh thái")]}
    oil = factories.WasteCodeFactory(code="17 02 03")
    lamps = factories.WasteCodeFactory(code="16 01 06", name_vi="Bóng đèn huỳnh quang thải", physical_states=["solid"])
    sludge = factories.WasteCodeFactory(code="12 06 05", name_vi="Bùn thải có các thành phần nguy hại từ quá trình xử lý nước thải công nghiệp")
    oil.hazard_properties.set([hazards["C"], hazards["Đ"], hazards["ĐS"]])
    lamps.hazard_properties.set([hazards["Đ"]])
    sludge.hazard_properties.set([hazards["Đ"], hazards["ĐS"]])
    incineration = factories.TreatmentMethodFactory(code="TĐ", name_vi="Thiêu đốt")
    recycling = factories.TreatmentMethodFactory(code="TC", name_vi="Tận thu/tái chế")
    other = factories.TreatmentMethodFactory(code="Khác", name_vi="Khác")
    permit = factories.PermitFactory(site=omega_site, number="2519/GPMT-UBND", issuer="Ủy ban nhân dân Thành phố Hồ Chí Minh", covers_transport=True)
    permit.vehicles.set([truck])
    permit.waste_codes.set([oil, lamps, sludge])
    permit.treatment_methods.set([incineration, recycling, other])
    code = services.set_handover_code(alice, alpha, factories.PASSWORD)

    def line(waste, description, state, quantity, method, note=""):
        return services.LineInput(
            waste_code=waste, description=description, physical_state=state, packaging_type=Packaging.DRUM,
            packaging_count=3, quantity_kg=Decimal(quantity), planned_method=method, planned_method_note=note,
        )

    m = services.create_draft(
        alice,
        generator_site=alpha_hn,
        facility_site=omega_site,
        permit=permit,
        transporter=omega,
        planned_pickup_date=timezone.localdate(),
        lines=[
            line(oil, "Dầu thải từ máy nén khí", PhysicalState.LIQUID, "1250.50", incineration),
            line(lamps, "Bóng đèn huỳnh quang hỏng từ xưởng lắp ráp", PhysicalState.SOLID, "85.00", recycling),
            line(sludge, "Bùn từ bể lắng của trạm xử lý nước thải", PhysicalState.SLUDGE, "3400.00", other, "Hóa rắn bằng xi măng rồi chôn lấp an toàn"),
        ],
    )
    m = services.seal(alice, m)
    lines = list(m.lines.order_by("position"))
    picked = {ln.pk: ln.quantity_kg for ln in lines}
    picked[lines[2].pk] = Decimal("3150.00")
    m = services.pickup(
        dan, m, vehicle=truck, quantities=picked, handover_by=alice, handover_code=code,
        latitude=Decimal("21.028511"), longitude=Decimal("105.804817"), accuracy_m=Decimal(12),
    )
    m = services.deliver(dan, m, latitude=Decimal("10.800123"), longitude=Decimal("106.700456"), accuracy_m=Decimal("8.5"))
    received = {ln.pk: {"received_quantity_kg": ln.quantity_kg} for ln in lines}
    received[lines[2].pk] = {"received_quantity_kg": Decimal(3100), "comment": "Thiếu 300 kg so với khai báo (bùn đã lắng nước)"}
    m = services.receive(fred, m, password=factories.PASSWORD, lines=received)
    today = timezone.localdate()
    methods = [(incineration, ""), (recycling, ""), (other, "Hóa rắn bằng xi măng rồi chôn lấp an toàn")]
    m = services.treat(
        fred, m, password=factories.PASSWORD,
        lines={ln.pk: {"treatment_method": methods[i][0], "treatment_note": methods[i][1], "treated_on": today} for i, ln in enumerate(lines)},
    )
    return m.pk, alice


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(render, load, iterations, before=None):
    """Wall-clock and CPU milliseconds per render (CPU time is steadier on a busy machine)."""
    wall, cpu = [], []
    for _ in range(iterations):
        manifest = load()
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        render(manifest)
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--write", metavar="DIR", help="also save the copy and the certificate there (manifest.pdf, certificate.pdf)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hwms-bench-") as tmp:
        setup_django(str(Path(tmp) / "bench.sqlite3"))
        from django.utils import translation
        from pypdf import PdfReader

        from common.documents import qr_matrix
        from manifests import selectors
        from manifests.pdf import render_certificate_pdf, render_manifest_pdf

        pk, alice = build_manifest()

        def load():
            # Same lookup as the view (a fresh object: no cached lines or scope).
            user = type(alice).objects.get(pk=alice.pk)
            return selectors.get_manifest_for_user(user, pk)

        with translation.override("vi"):
            manifest = load()
            start = time.perf_counter()
            content = render_manifest_pdf(manifest)
            first = (time.perf_counter() - start) * 1000
            import io

            pages = len(PdfReader(io.BytesIO(content)).pages)
            if args.write:
                # For a look at the layout: pdftoppm -png -r 80 DIR/manifest.pdf DIR/manifest
                Path(args.write).mkdir(parents=True, exist_ok=True)
                (Path(args.write) / "manifest.pdf").write_bytes(content)
                (Path(args.write) / "certificate.pdf").write_bytes(render_certificate_pdf(load()))
            results = {
                # First print of the hour: the QR code is encoded (segno picks the best of 8 masks).
                "manifest": measure(render_manifest_pdf, load, args.iterations, before=qr_matrix.cache_clear),
                # Printed again within the hour: same verification URL, the encoded QR matrix is reused.
                "manifest-rep": measure(render_manifest_pdf, load, args.iterations),
                "certificate": measure(render_certificate_pdf, load, args.iterations, before=qr_matrix.cache_clear),
            }

    print(f"PDF benchmark: 3 lines, {pages} page(s), {len(content) / 1024:.0f} KB, {args.iterations} renders each")
    print(f"first render (registers the fonts): {first:.1f} ms")
    for name, (wall, cpu) in results.items():
        for kind, timings in (("wall", wall), ("cpu", cpu)):
            print(
                f"{name:13s} {kind:4s} p50 {statistics.median(timings):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms   "
                f"max {max(timings):6.1f} ms   min {min(timings):6.1f} ms   mean {statistics.fmean(timings):6.1f} ms"
            )
    p95 = percentile(results["manifest"][0], 0.95)
    print(f"target: manifest wall p95 < 50 ms: {'OK' if p95 < 50 else 'MISSED'} (load average {os.getloadavg()[0]:.2f})")
    return 0 if p95 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
