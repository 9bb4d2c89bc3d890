from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from common.spreadsheets import AdminFormats

from . import resources
from .models import AuditEvent, Jurisdiction, Membership, Organisation, Permit, Site, User, Vehicle


@admin.register(User)
class UserAdmin(AdminFormats, ImportExportModelAdmin, DjangoUserAdmin):
    resource_classes = [resources.UserResource]
    list_display = ["username", "full_name", "email", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("HWMS"), {"fields": ["full_name", "phone"]}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    filter_horizontal = ["sites"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "province", "ward", "address", "active"]
    autocomplete_fields = ["ward"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.OrganisationResource]
    list_display = ["name", "tax_code", "is_generator", "is_transporter", "is_facility", "active"]
    list_filter = ["is_generator", "is_transporter", "is_facility", "active"]
    search_fields = ["name", "tax_code"]
    inlines = [SiteInline, MembershipInline]


@admin.register(Site)
class SiteAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.SiteResource]
    list_display = ["name", "organisation", "province", "ward", "legacy_code", "active"]
    list_filter = ["province", "active"]
    search_fields = ["name", "organisation__name", "legacy_code"]
    autocomplete_fields = ["organisation", "ward"]
    list_select_related = ["organisation", "province", "ward"]


@admin.register(Membership)
class MembershipAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.MembershipResource]
    list_display = ["user", "organisation", "role", "position"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["sites"]
    list_select_related = ["user", "organisation"]


@admin.register(Jurisdiction)
class JurisdictionAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.JurisdictionResource]
    list_display = ["user", "province", "authority"]
    list_filter = ["province"]
    autocomplete_fields = ["user"]


@admin.register(Permit)
class PermitAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.PermitResource]
    list_display = ["number", "site", "issuer", "valid_from", "valid_until", "yearly_capacity_kg", "covers_transport"]
    list_filter = ["covers_transport"]
    search_fields = ["number", "site__name", "site__organisation__name"]
    autocomplete_fields = ["site", "vehicles"]
    filter_horizontal = ["waste_codes", "treatment_methods"]
    list_select_related = ["site"]


@admin.register(Vehicle)
class VehicleAdmin(AdminFormats, ImportExportModelAdmin):
    resource_classes = [resources.VehicleResource]
    list_display = ["plate", "organisation", "description", "active"]
    list_filter = ["active"]
    search_fields = ["plate", "organisation__name"]
    autocomplete_fields = ["organisation"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read only: history is never edited (the PostgreSQL trigger would refuse it anyway)."""

    list_display = ["created_at", "chain", "seq", "action", "actor", "organisation", "role", "ip"]
    list_filter = ["action"]
    search_fields = ["chain"]
    list_select_related = ["actor", "organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
