"""Demo organisations, sites, permit, vehicles and one user per role, for `make run`.

Idempotent (get-or-create by natural keys). Refuses to run with DEBUG off unless --force: demo accounts
share one known password and must never reach a production database by accident.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import two_factor
from accounts.models import Jurisdiction, Membership, Organisation, Permit, Site, User, Vehicle
from catalog.models import PhysicalState, TreatmentMethod, WasteCode
from gis.models import Province, Ward
from manifests import services
from manifests.models import Packaging

GENERATOR = "0101234567"

ORGANISATIONS = [
    # tax code, name, kinds, head office address, phone, e-mail
    (
        "0101234567",
        "Công ty TNHH Điện tử Sao Mai",
        {"is_generator": True},
        "Lô 12, KCN Thăng Long, Xã Thiên Lộc, Thành phố Hà Nội",
        "024 3881 2345",
        "moitruong@saomai.demo.hwms.vn",
    ),
    (
        "0109876543",
        "Công ty TNHH Vận tải Hoàng Long",
        {"is_transporter": True},
        "Thôn Bầu, Xã Thiên Lộc, Thành phố Hà Nội",
        "024 3958 6789",
        "dieuvan@hoanglong.demo.hwms.vn",
    ),
    (
        "0312345678",
        "Công ty CP Môi trường Xanh",
        {"is_facility": True, "is_transporter": True},
        "Lô B, KCN Hiệp Phước, Xã Hiệp Phước, Thành phố Hồ Chí Minh",
        "028 3780 1234",
        "tiepnhan@moitruongxanh.demo.hwms.vn",
    ),
]

# Each site in the post-2025 commune/ward (code from vietnam-provinces) whose area holds it; the code is the
# pre-2025 commune the new unit kept: 493 Kim Chung (KCN Thăng Long), 9265 Phương Liễu (KCN Quế Võ),
# 11411 Đông Hải 2 (KCN Đình Vũ), 27658 Long Thới (KCN Hiệp Phước), 26485 Phú Hội (KCN Nhơn Trạch 2).
SITES = [
    # organisation tax code, name, province code, ward code, address, latitude, longitude
    ("0101234567", "Nhà máy Sao Mai Hà Nội", 1, 493, "Lô 12, KCN Thăng Long", "21.129920", "105.782150"),
    ("0101234567", "Nhà máy Sao Mai Bắc Ninh", 24, 9265, "Lô C3, KCN Quế Võ", "21.150300", "106.153100"),
    ("0101234567", "Kho Sao Mai Hải Phòng", 31, 11411, "Lô CN4, KCN Đình Vũ", "20.845300", "106.760100"),
    ("0109876543", "Bãi xe Hoàng Long", 1, 493, "Thôn Bầu", "21.137200", "105.786500"),
    ("0312345678", "Khu xử lý Môi trường Xanh Hiệp Phước", 79, 27658, "Lô B, KCN Hiệp Phước", "10.616700", "106.743300"),
    ("0312345678", "Trạm trung chuyển Môi trường Xanh Đồng Nai", 75, 26485, "Đường số 2, KCN Nhơn Trạch 2", "10.743800", "106.925600"),
]

VEHICLES = [
    ("0109876543", "29C-456.78", "Xe tải thùng kín 8 tấn"),
    ("0109876543", "29H-123.45", "Xe bồn chở dầu thải 5 m³"),
    ("0312345678", "51C-123.45", "Xe tải thùng kín 10 tấn"),
]

# Permits covering transport: the facility's own permit, and the transporter's (each lists the vehicles).
TRANSPORT_PERMITS = [
    ("0312345678", "Khu xử lý Môi trường Xanh Hiệp Phước", "2519/GPMT-BNNMT"),
    ("0109876543", "Bãi xe Hoàng Long", "1187/GPMT-BNNMT"),
]

# Printed in the signature blocks of the manifest copy.
POSITIONS = {
    "dn_quantri": "Trưởng phòng An toàn – Môi trường",
    "dn_nhanvien": "Nhân viên kho",
    "laixe": "Lái xe",
    "xuly": "Nhân viên tiếp nhận",
    "xuly_quantri": "Giám đốc kỹ thuật",
}
# Generator members given a personal handover confirmation code (printed by the command).
HANDOVER = ["dn_quantri", "dn_nhanvien"]

# username, full name, phone, organisation tax code, membership role, what the account is for
USERS = [
    ("dn_quantri", "Nguyễn Thị Lan", "0912 345 601", "0101234567", Membership.Role.ADMIN, "Quản trị viên (chủ nguồn thải)"),
    ("dn_nhanvien", "Trần Văn Minh", "0912 345 602", "0101234567", Membership.Role.MEMBER, "Nhân viên (chủ nguồn thải)"),
    ("dn_xem", "Lê Thu Hà", "0912 345 603", "0101234567", Membership.Role.VIEWER, "Chỉ xem (chủ nguồn thải)"),
    ("vc_quantri", "Đỗ Quang Huy", "0983 456 701", "0109876543", Membership.Role.ADMIN, "Quản trị viên (chủ vận chuyển)"),
    ("laixe", "Phạm Văn Tài", "0983 456 702", "0109876543", Membership.Role.DRIVER, "Lái xe (chủ vận chuyển)"),
    ("xuly", "Hoàng Thị Mai", "0903 567 801", "0312345678", Membership.Role.MEMBER, "Nhân viên (cơ sở xử lý)"),
    ("xuly_quantri", "Vũ Đức Anh", "0903 567 802", "0312345678", Membership.Role.ADMIN, "Quản trị viên (cơ sở xử lý)"),
]
# username, full name, phone, province code (None = whole country), authority, what the account is for
OFFICIALS = [
    (
        "canbo_hanoi",
        "Bùi Thị Hằng",
        "024 3773 1001",
        1,
        "Sở Nông nghiệp và Môi trường Thành phố Hà Nội",
        "Cán bộ quản lý (Sở Nông nghiệp và Môi trường Hà Nội)",
    ),
    (
        "canbo_tw",
        "Ngô Văn Nam",
        "024 3822 4002",
        None,
        "Cục Môi trường — Bộ Nông nghiệp và Môi trường",
        "Cán bộ quản lý (Cục Môi trường, toàn quốc)",
    ),
]
ADMIN = ("quantri", "Quản trị viên hệ thống", "", "Quản trị viên hệ thống")


class Command(BaseCommand):
    help = "Load demo organisations, sites, a permit, vehicles and one account per role (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: refusing to load demo accounts. Use --force if you really mean it.")
        if not Province.objects.exists() or not TreatmentMethod.objects.exists():
            raise CommandError("Reference data missing: run `manage.py load_reference_data` first.")
        password = settings.HWMS_DEMO_PASSWORD
        with transaction.atomic():
            logins = self._load(password)
            created = self._manifests()
            generator = Organisation.objects.get(tax_code=GENERATOR)
            codes = {username: services.set_handover_code(User.objects.get(username=username), generator, password) for username in HANDOVER}
            second_factor = self._second_factor([username for username, *_ in OFFICIALS] + [ADMIN[0]])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo account's password: {password}"))
        width = max(len(username) for username, _ in logins)
        for username, role in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
        if created:
            self.stdout.write(f"{created} demo manifests created, one at each step of the chain.")
        for username, code in codes.items():
            self.stdout.write(f"Handover confirmation code of {username} ({ORGANISATIONS[0][1]}, typed on the driver's phone): {code}")
        self.stdout.write(
            "Two-factor sign-in of the officials and the administrator: add the key to an authenticator app (or run "
            "`oathtool --totp -b KEY`) and type its 6-digit code after the password, or type a recovery code (each "
            "works once; new ones at each run)."
        )
        for username, (key, uri, recovery) in second_factor.items():
            self.stdout.write(f"  {username}: key {key}  recovery codes {', '.join(recovery[:3])}\n    {uri}")

    def _second_factor(self, usernames):
        """An authenticator (kept from one run to the next) and new recovery codes for each official and the
        administrator, who cannot sign in without them."""
        result = {}
        for username in usernames:
            user = User.objects.get(username=username)
            device = two_factor.give_authenticator(user)
            result[username] = (two_factor.secret(device), device.config_url, two_factor.new_recovery_codes(user))
        return result

    def _load(self, password):
        # update_or_create: a database loaded by an older version of this command gets today's addresses.
        organisations = {}
        for tax_code, name, kinds, address, phone, email in ORGANISATIONS:
            organisations[tax_code], _ = Organisation.objects.update_or_create(
                tax_code=tax_code, defaults={"name": name, "address": address, "phone": phone, "email": email, **kinds}
            )
        sites = {}
        for tax_code, name, province_code, ward_code, address, lat, lng in SITES:
            ward = Ward.objects.get(code=ward_code, province_id=province_code)
            sites[name], _ = Site.objects.update_or_create(
                organisation=organisations[tax_code],
                name=name,
                defaults={
                    "address": address,
                    "province_id": province_code,
                    "ward": ward,
                    "latitude": Decimal(lat),
                    "longitude": Decimal(lng),
                },
            )
        for tax_code, plate, description in VEHICLES:
            Vehicle.objects.get_or_create(plate=plate, defaults={"organisation": organisations[tax_code], "description": description})

        facility_site = sites["Khu xử lý Môi trường Xanh Hiệp Phước"]
        permit, created = Permit.objects.get_or_create(
            issuer="Bộ Nông nghiệp và Môi trường",
            number="2519/GPMT-BNNMT",
            defaults={
                "site": facility_site,
                "valid_from": date(2025, 3, 1),
                "valid_until": date(2030, 2, 28),
                "yearly_capacity_kg": Decimal("12000000"),
            },
        )
        if created:
            permit.waste_codes.set(WasteCode.objects.for_manifest())
            permit.treatment_methods.set(TreatmentMethod.objects.filter(code__in=["TĐ", "HR", "TC", "TH", "PT", "ĐX", "Khác"]))
        # Decree 08/2022: transport by a licensed organisation whose permit lists each vehicle.
        for tax_code, site_name, number in TRANSPORT_PERMITS:
            transport, created = Permit.objects.get_or_create(
                issuer="Bộ Nông nghiệp và Môi trường",
                number=number,
                defaults={
                    "site": sites[site_name],
                    "valid_from": date(2025, 3, 1),
                    "valid_until": date(2030, 2, 28),
                    "yearly_capacity_kg": Decimal("0") if site_name != facility_site.name else Decimal("12000000"),
                    "covers_transport": True,
                },
            )
            if not transport.covers_transport:
                transport.covers_transport = True
                transport.save(update_fields=["covers_transport"])
            transport.vehicles.add(*Vehicle.objects.filter(organisation__tax_code=tax_code))

        logins = []
        for username, full_name, phone, tax_code, role, label in USERS:
            user = self._user(username, full_name, phone, password)
            Membership.objects.get_or_create(
                user=user, organisation=organisations[tax_code], defaults={"role": role, "position": POSITIONS.get(username, "")}
            )
            logins.append((username, label))
        for username, full_name, phone, province_code, authority, label in OFFICIALS:
            user = self._user(username, full_name, phone, password)
            Jurisdiction.objects.get_or_create(user=user, defaults={"province_id": province_code, "authority": authority})
            logins.append((username, label))
        username, full_name, phone, label = ADMIN
        admin = self._user(username, full_name, phone, password)
        if not admin.is_superuser:
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        logins.append((username, label))
        return logins

    def _manifests(self):
        """One manifest at each step, made through the status machine so that the audit chain is real.

        Only when the demo generator has none yet, so that running the command again adds nothing.
        """
        generator = Organisation.objects.get(tax_code=GENERATOR)
        if generator.generated_manifests.exists():
            return 0
        member, driver, clerk = (User.objects.get(username=u) for u in ("dn_nhanvien", "laixe", "xuly"))
        transporter = Organisation.objects.get(tax_code="0109876543")
        facility_site = Site.objects.get(name="Khu xử lý Môi trường Xanh Hiệp Phước")
        permit = facility_site.permits.first()
        truck = Vehicle.objects.get(plate="29C-456.78")
        codes = {code.code: code for code in WasteCode.objects.for_manifest()}
        incineration = TreatmentMethod.objects.get(code="TĐ")
        today = timezone.localdate()

        def line(code, description, state, packaging, count, kg):
            return services.LineInput(codes[code], description, state, packaging, count, Decimal(kg), planned_method=incineration)

        def draft(site_name, lines):
            return services.create_draft(
                member,
                generator_site=Site.objects.get(name=site_name),
                facility_site=facility_site,
                permit=permit,
                transporter=transporter,
                planned_pickup_date=today,
                lines=lines,
            )

        oil = line("17 02 03", "Dầu nhớt thải từ máy ép", PhysicalState.LIQUID, Packaging.DRUM, 4, "720")
        lamps = line("16 01 06", "Bóng đèn huỳnh quang hỏng", PhysicalState.SOLID, Packaging.BOX, 3, "45.5")
        rags = line("18 02 01", "Giẻ lau dính dầu", PhysicalState.SOLID, Packaging.BAG, 10, "130")
        password = settings.HWMS_DEMO_PASSWORD

        draft("Nhà máy Sao Mai Hà Nội", [oil, rags])  # stays a draft
        services.seal(member, draft("Nhà máy Sao Mai Bắc Ninh", [lamps]))  # awaits the code on the driver's phone
        services.sign(member, draft("Nhà máy Sao Mai Hà Nội", [oil]), password)  # ready for pickup

        def picked_up(site_name, lines):
            manifest = services.sign(member, draft(site_name, lines), password)
            quantities = {line.pk: line.quantity_kg for line in manifest.lines.all()}
            site = manifest.generator_site  # the phone is at the generator's gate
            return services.pickup(driver, manifest, vehicle=truck, quantities=quantities, latitude=site.latitude, longitude=site.longitude, accuracy_m=Decimal("15"))

        def delivered(site_name, lines):
            return services.deliver(driver, picked_up(site_name, lines), latitude=facility_site.latitude, longitude=facility_site.longitude, accuracy_m=Decimal("20"))

        picked_up("Kho Sao Mai Hải Phòng", [rags])  # in transit
        received = delivered("Nhà máy Sao Mai Bắc Ninh", [oil, lamps])
        first, second = received.lines.all()
        services.receive(
            clerk,
            received, password=password,
            lines={
                first.pk: {"received_quantity_kg": Decimal("650"), "comment": "Thiếu 70 kg so với khối lượng kê khai (cân tại trạm cân của cơ sở xử lý)."},
                second.pk: {"received_quantity_kg": second.quantity_kg},
            },
        )
        completed = delivered("Nhà máy Sao Mai Hà Nội", [oil, rags])
        services.receive(clerk, completed, password=password, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in completed.lines.all()})
        services.treat(clerk, completed, password=password, lines={line.pk: {"treatment_method": incineration, "treated_on": today} for line in completed.lines.all()})
        return 6

    def _user(self, username, full_name, phone, password):
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "phone": phone, "email": f"{username}@demo.hwms.vn"}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
