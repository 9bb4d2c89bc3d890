from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from common.admin import ReadOnlyAdminMixin
from common.spreadsheets import AdminFormats

from . import resources
from .models import AuditEvent, Jurisdiction, Membership, Organisation, Permit, Site, User, Vehicle


@admin.register(User)
class UserAdmin(AdminFormats, ImportExportModelAdmin, DjangoUserAdmin):
    resource_classes = [resources.UserResource]
    list_display = ["username", "full_name", "organisations", "roles", "email", "is_active", "is_staff", "last_login"]
    list_filter = [*DjangoUserAdmin.list_filter, "memberships__role"]
    search_fields = ["username", "full_name", "email", "memberships__organisation__name"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("HWMS"), {"fields": ["full_name", "phone"]}),)

    def get_queryset(self, request):
        # Two queries for the whole page, whatever its length: memberships and their organisations are
        # prefetched, an official's jurisdiction and province come in the users' own query.
        memberships = Membership.objects.select_related("organisation").order_by("organisation__name")
        return (
            super()
            .get_queryset(request)
            .select_related("jurisdiction__province")
            .prefetch_related(Prefetch("memberships", queryset=memberships))
        )

    @staticmethod
    def _jurisdiction(user):
        try:
            return user.jurisdiction
        except Jurisdiction.DoesNotExist:
            return None

    @admin.display(description=_("organisations"))
    def organisations(self, user):
        """One line per organisation the user works for; an official's authority and province instead."""
        lines = [membership.organisation.name for membership in user.memberships.all()]
        jurisdiction = self._jurisdiction(user)
        if jurisdiction:
            lines.append(jurisdiction.authority or str(jurisdiction.province or gettext("Nationwide")))
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "–"

    @admin.display(description=_("role"))
    def roles(self, user):
        """The role in each organisation, on the same lines as the organisations column."""
        lines = [membership.get_role_display() for membership in user.memberships.all()]
        jurisdiction = self._jurisdiction(user)
        if jurisdiction:
            lines.append(
                gettext("Official (nationwide)") if jurisdiction.is_national
                else gettext("Official (%(province)s)") % {"province": jurisdiction.province}
            )
        if user.is_superuser:
            lines.append(gettext("System administrator"))
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "–"


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
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: history is never edited (the PostgreSQL trigger would refuse it anyway)."""

    list_display = ["created_at", "chain", "seq", "action", "actor", "organisation", "role", "ip"]
    list_filter = ["action"]
    search_fields = ["chain"]
    list_select_related = ["actor", "organisation"]


def portal_login(request, extra_context=None):
    """The administration signs in through the portal's login page (password, then the second factor), never a
    login form of its own; a signed-in user who is not an administrator is refused."""
    if request.user.is_authenticated:
        if admin.site.has_permission(request):  # an administrator already signed in: the administration itself
            return redirect("admin:index")
        raise PermissionDenied(gettext("Only administrators may use the system administration."))
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


admin.site.login = portal_login
