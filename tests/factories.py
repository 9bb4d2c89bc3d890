"""factory_boy factories shared by every suite."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Jurisdiction, Membership, Organisation, Permit, Site, User, Vehicle
from catalog.models import CatalogVersion, TreatmentMethod, WasteChapter, WasteCode
from gis.models import Province, Ward

PASSWORD = "Secret-pass-2026"


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: 1 + n)
    name = factory.LazyAttribute(lambda o: f"Tỉnh {o.code}")
    codename = factory.LazyAttribute(lambda o: f"tinh_{o.code}")
    division_type = "tỉnh"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: 90000 + n)
    name = factory.LazyAttribute(lambda o: f"Phường {o.code}")
    codename = factory.LazyAttribute(lambda o: f"phuong_{o.code}")
    division_type = "phường"
    province = factory.SubFactory(ProvinceFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Công ty {n}")
    tax_code = factory.Sequence(lambda n: f"{100000000 + n:010d}")
    is_generator = True


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Nhà máy {n}")
    address = "Số 1 đường Láng"
    ward = factory.SubFactory(WardFactory)
    province = factory.LazyAttribute(lambda o: o.ward.province)
    latitude = Decimal("21.028511")
    longitude = Decimal("105.804817")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction

    user = factory.SubFactory(UserFactory)
    province = None


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    organisation = factory.SubFactory(OrganisationFactory, is_generator=False, is_transporter=True)
    plate = factory.Sequence(lambda n: f"51C-{100 + n // 100:03d}.{n % 100:02d}")


class CatalogVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogVersion
        django_get_or_create = ["label"]

    label = "test"
    effective_date = date(2022, 1, 1)


class WasteChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WasteChapter
        django_get_or_create = ["code"]

    code = "17"
    name_vi = "Dầu thải, chất thải nhiên liệu lỏng"


class WasteCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WasteCode
        django_get_or_create = ["version", "code"]

    version = factory.SubFactory(CatalogVersionFactory)
    code = "17 02 03"
    chapter = factory.SubFactory(WasteChapterFactory, code=factory.LazyAttribute(lambda o: o.factory_parent.code[:2]))
    name_vi = "Dầu động cơ, hộp số và bôi trơn tổng hợp thải"
    class_marker = "NH"
    physical_states = ["liquid"]


class TreatmentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentMethod
        django_get_or_create = ["code"]

    code = "TĐ"
    name_vi = "Thiêu đốt"


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit
        skip_postgeneration_save = True

    site = factory.SubFactory(SiteFactory, organisation__is_generator=False, organisation__is_facility=True)
    number = factory.Sequence(lambda n: f"{n}/GPMT-BTNMT")
    issuer = "Bộ Nông nghiệp và Môi trường"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365 * 4))
    yearly_capacity_kg = Decimal("1000000")
