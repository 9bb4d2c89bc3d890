"""django-import-export resources: administrators import and export accounts data as XLSX/CSV."""

from import_export import fields, resources, widgets

from common.spreadsheets import NumberWidget
from gis.models import Province, Ward

from .models import Jurisdiction, Membership, Organisation, Permit, Site, User, Vehicle


class OrganisationResource(resources.ModelResource):
    class Meta:
        model = Organisation
        import_id_fields = ["tax_code"]
        fields = ["tax_code", "name", "is_generator", "is_transporter", "is_facility", "address", "phone", "email", "active"]
        clean_model_instances = True


class UserResource(resources.ModelResource):
    class Meta:
        model = User
        import_id_fields = ["username"]
        fields = ["username", "full_name", "email", "phone", "is_active"]
        clean_model_instances = True


class SiteResource(resources.ModelResource):
    organisation = fields.Field(
        "organisation", "organisation_tax_code", widgets.ForeignKeyWidget(Organisation, "tax_code")
    )
    province = fields.Field("province", "province_code", widgets.ForeignKeyWidget(Province, "code"))
    ward = fields.Field("ward", "ward_code", widgets.ForeignKeyWidget(Ward, "code"))
    # Numbers by the portal's one rule (common.numbers); coordinates have no thousands separators.
    latitude = fields.Field("latitude", "latitude", NumberWidget(grouping=False))
    longitude = fields.Field("longitude", "longitude", NumberWidget(grouping=False))

    class Meta:
        model = Site
        fields = ["id", "organisation", "name", "address", "province", "ward", "latitude", "longitude", "legacy_code", "active"]
        clean_model_instances = True


class MembershipResource(resources.ModelResource):
    user = fields.Field("user", "username", widgets.ForeignKeyWidget(User, "username"))
    organisation = fields.Field(
        "organisation", "organisation_tax_code", widgets.ForeignKeyWidget(Organisation, "tax_code")
    )

    class Meta:
        model = Membership
        import_id_fields = ["user", "organisation"]
        fields = ["user", "organisation", "role"]
        clean_model_instances = True


class JurisdictionResource(resources.ModelResource):
    user = fields.Field("user", "username", widgets.ForeignKeyWidget(User, "username"))
    province = fields.Field("province", "province_code", widgets.ForeignKeyWidget(Province, "code"))

    class Meta:
        model = Jurisdiction
        import_id_fields = ["user"]
        fields = ["user", "province", "authority"]
        clean_model_instances = True


class PermitResource(resources.ModelResource):
    waste_codes = fields.Field(
        "waste_codes", "waste_codes", widgets.ManyToManyWidget("catalog.WasteCode", separator=";", field="code")
    )
    treatment_methods = fields.Field(
        "treatment_methods",
        "treatment_methods",
        widgets.ManyToManyWidget("catalog.TreatmentMethod", separator=";", field="code"),
    )
    # The vehicles the permit lists for hazardous waste transport, by plate.
    vehicles = fields.Field("vehicles", "vehicles", widgets.ManyToManyWidget(Vehicle, separator=";", field="plate"))
    yearly_capacity_kg = fields.Field("yearly_capacity_kg", "yearly_capacity_kg", NumberWidget(unit="kg"))

    class Meta:
        model = Permit
        fields = [
            "id", "site", "number", "issuer", "valid_from", "valid_until", "yearly_capacity_kg",
            "waste_codes", "treatment_methods", "covers_transport", "vehicles",
        ]
        clean_model_instances = True


class VehicleResource(resources.ModelResource):
    organisation = fields.Field(
        "organisation", "organisation_tax_code", widgets.ForeignKeyWidget(Organisation, "tax_code")
    )

    capacity_kg = fields.Field("capacity_kg", "capacity_kg", NumberWidget(unit="kg"))

    class Meta:
        model = Vehicle
        import_id_fields = ["plate"]
        fields = ["plate", "organisation", "description", "capacity_kg", "active"]
        clean_model_instances = True
