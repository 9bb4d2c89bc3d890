from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.integers import MAX_SMALL, bounded_int

from . import policy, selectors, services, two_factor
from .audit import RequestContext
from .forms import LoginForm, MemberCreateForm, MembershipForm, SiteForm

PAGE_SIZE = 25


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _lockout_context():
    return {
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


class PortalLoginView(LoginView):
    """The password step. Officials, administrators and users who turned two-factor sign-in on go on to the
    second step (accounts.two_factor_views.second_factor) before any other page opens."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | _lockout_context()

    def form_valid(self, form):
        user = form.get_user()
        response = super().form_valid(form)
        second_factor = two_factor.requires_two_factor(user) or two_factor.has_device(user)
        two_factor.record(user, "login", self.request, {"second_factor": second_factor})
        if not second_factor:
            return response
        self.request.session[two_factor.PENDING_SESSION_KEY] = True
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': self.get_success_url()})}")

    def form_invalid(self, form):
        username = form.data.get("username", "").strip()
        if username and form.data.get("password"):
            two_factor.record_failed_login(self.request, username)
        return super().form_invalid(form)


class PortalLogoutView(LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            two_factor.record(request.user, "logout", request)
        return super().post(request, *args, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this when a username/address pair, or an address (accounts.throttling), is locked out
    (AXES_LOCKOUT_CALLABLE)."""
    context = _lockout_context() | {
        "second_factor": getattr(request, "hwms_second_factor_step", False),
        "address_locked": getattr(request, "hwms_address_locked", False),
    }
    return render(request, "registration/locked_out.html", context, status=429)


@login_required
def profile(request):
    user = request.user
    memberships = user.memberships.select_related("organisation").prefetch_related("sites")
    context = {
        "memberships": memberships,
        "two_factor_on": two_factor.has_device(user),
        "two_factor_required": two_factor.requires_two_factor(user),
        "recovery_codes_left": two_factor.remaining_recovery_codes(user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
def organisation_list(request):
    query = request.GET.get("q", "").strip()
    organisations = policy.visible_organisations(request.user).annotate(site_count=Count("sites", distinct=True))
    if query:
        organisations = organisations.filter(Q(name__icontains=query) | Q(tax_code__startswith=query))
    return render(
        request,
        "accounts/organisation_list.html",
        {"page": _page(request, organisations.order_by("name")), "query": query},
    )


@login_required
def organisation_detail(request, pk):
    organisation = policy.get_organisation_for_user(request.user, pk)
    return render(request, "accounts/organisation_detail.html", selectors.organisation_detail(request.user, organisation))


def _membership_or_404(organisation, membership_pk):
    membership = organisation.memberships.select_related("user", "organisation").filter(pk=membership_pk).first()
    if membership is None:
        raise Http404(_("Member not found."))
    return membership


@login_required
def member_add(request, pk):
    organisation = policy.get_organisation_for_user(request.user, pk, manage=True)
    form = MemberCreateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.create_member(
                organisation=organisation,
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                password=data["password"],
                role=data["role"],
                sites=list(data["sites"]),
                context=RequestContext.from_request(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Account %(user)s created.") % {"user": membership.user.username})
            return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/member_form.html", {"organisation": organisation, "form": form, "creating": True})


@login_required
def member_edit(request, pk, membership_pk):
    organisation = policy.get_organisation_for_user(request.user, pk, manage=True)
    membership = _membership_or_404(organisation, membership_pk)
    form = MembershipForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(
                membership=membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                sites=list(form.cleaned_data["sites"]),
                context=RequestContext.from_request(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Role of %(user)s updated.") % {"user": membership.user})
            return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "accounts/member_form.html",
        {"organisation": organisation, "form": form, "membership": membership, "creating": False},
    )


@login_required
@require_POST
def member_remove(request, pk, membership_pk):
    organisation = policy.get_organisation_for_user(request.user, pk, manage=True)
    membership = _membership_or_404(organisation, membership_pk)
    try:
        services.remove_membership(membership=membership, actor=request.user, context=RequestContext.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(user)s removed from the organisation.") % {"user": membership.user})
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("accounts:organisation_detail", pk=organisation.pk)


@login_required
def site_list(request):
    sites = policy.visible_sites(request.user)
    province = request.GET.get("province", "")
    query = request.GET.get("q", "").strip()
    if (code := bounded_int(province, 1, MAX_SMALL)) is not None:
        sites = sites.filter(province_id=code)
    if query:
        sites = sites.filter(Q(name__icontains=query) | Q(organisation__name__icontains=query))
    return render(
        request,
        "accounts/site_list.html",
        {
            "page": _page(request, sites.order_by("organisation__name", "name")),
            "query": query,
            "province": province,
            "provinces": selectors.provinces_for(request.user),
            "managed_ids": set(policy.managed_organisations(request.user).values_list("pk", flat=True)),
        },
    )


def _site_form_response(request, organisation, form, site=None):
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_site(
                form=form, organisation=organisation, actor=request.user, context=RequestContext.from_request(request)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Site “%(name)s” saved.") % {"name": saved.name})
            return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(request, "accounts/site_form.html", {"organisation": organisation, "form": form, "site": site})


@login_required
def site_create(request, pk):
    organisation = policy.get_organisation_for_user(request.user, pk, manage=True)
    return _site_form_response(request, organisation, SiteForm(request.POST or None))


@login_required
def site_edit(request, pk):
    site = policy.get_site_for_user(request.user, pk, manage=True)
    return _site_form_response(request, site.organisation, SiteForm(request.POST or None, instance=site), site)

