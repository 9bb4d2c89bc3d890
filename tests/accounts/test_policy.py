"""The access policy, role by role: each persona sees exactly its scope (tests/conftest.py: world)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import policy
from accounts.models import Membership, Permit, Site, User
from tests import factories


def names(queryset):
    return sorted(obj.name for obj in queryset)


@pytest.mark.django_db
class TestVisibleSites:
    def test_enterprise_admin_sees_all_sites_of_its_organisation_only(self, world):
        assert names(policy.visible_sites(world.alice)) == ["Alpha HCM", "Alpha Hà Nội"]

    def test_member_limited_to_a_site_sees_only_that_site(self, world):
        assert names(policy.visible_sites(world.bob)) == ["Alpha Hà Nội"]

    def test_viewer_sees_the_organisation_but_cannot_act(self, world):
        assert names(policy.visible_sites(world.vera)) == ["Alpha HCM", "Alpha Hà Nội"]
        assert names(policy.actable_sites(world.vera)) == []

    def test_driver_and_facility_staff_see_their_facility(self, world):
        assert names(policy.visible_sites(world.dan)) == ["Omega xử lý"]
        assert names(policy.visible_sites(world.fred)) == ["Omega xử lý"]

    def test_provincial_official_sees_the_sites_in_the_province(self, world):
        assert names(policy.visible_sites(world.hanoi_official)) == ["Alpha Hà Nội"]
        assert names(policy.actable_sites(world.hanoi_official)) == []

    def test_central_official_and_administrator_see_everything(self, world):
        everything = ["Alpha HCM", "Alpha Hà Nội", "Omega xử lý", "Zeta HCM"]
        assert names(policy.visible_sites(world.central_official)) == everything
        assert names(policy.visible_sites(world.admin)) == everything

    def test_a_user_without_role_sees_nothing(self, world):
        assert names(policy.visible_sites(world.nobody)) == []


@pytest.mark.django_db
class TestOrganisationsAndProvinces:
    def test_visible_organisations_per_persona(self, world):
        assert names(policy.visible_organisations(world.alice)) == ["Alpha"]
        assert names(policy.visible_organisations(world.zoe)) == ["Zeta"]
        assert names(policy.visible_organisations(world.hanoi_official)) == ["Alpha"]
        assert names(policy.visible_organisations(world.central_official)) == ["Alpha", "Omega", "Zeta"]
        assert names(policy.visible_organisations(world.nobody)) == []

    def test_visible_provinces(self, world):
        assert policy.visible_province_ids(world.hanoi_official) == {1}
        assert policy.visible_province_ids(world.central_official) is None
        assert policy.visible_province_ids(world.alice) == {1, 79}
        assert policy.visible_province_ids(world.bob) == {1}

    def test_only_organisation_admins_manage(self, world):
        assert names(policy.managed_organisations(world.alice)) == ["Alpha"]
        assert names(policy.managed_organisations(world.bob)) == []
        assert names(policy.managed_organisations(world.admin)) == []

    def test_role_in_reads_an_organisation_or_its_id(self, world):
        """Services pass the organisation, rules its id: both give the membership's role (mutation testing)."""
        assert policy.role_in(world.alice, world.alpha) == "admin"
        assert policy.role_in(world.alice, world.alpha.pk) == "admin"
        assert policy.role_in(world.dan, world.omega) == "driver"
        assert policy.role_in(world.alice, world.zeta) is None
        assert policy.role_in(world.central_official, world.alpha) is None


@pytest.mark.django_db
class TestSiteRules:
    """site_q over a model that reaches a site by a path, several memberships, and the sites one acts at."""

    def test_site_q_follows_a_path_to_the_site(self, world):
        permits = {site.name: factories.PermitFactory(site=site) for site in (world.alpha_hn, world.alpha_hcm, world.zeta_site)}

        def seen(user):
            return sorted(Site.objects.get(pk=p.site_id).name for p in Permit.objects.filter(policy.site_q(user, "site")))

        assert seen(world.alice) == ["Alpha HCM", "Alpha Hà Nội"]  # the organisation's, through site__organisation
        assert seen(world.bob) == ["Alpha Hà Nội"]  # limited: through site__pk, not the permit's own pk
        assert seen(world.hanoi_official) == ["Alpha Hà Nội"]  # the province, through site__province
        for user, sites in ((world.bob, [world.alpha_hn.pk]), (world.alice, [world.alpha_hn.pk, world.alpha_hcm.pk])):
            acting = Permit.objects.filter(policy.site_q(user, "site", for_action=True))
            assert sorted(p.site_id for p in acting) == sorted(sites)
        assert len(permits) == 3

    def test_a_limited_membership_adds_to_the_others(self, world):
        """Memberships are read in the order of the organisations' names (Alpha, then Zeta): a later limited one
        adds its sites, never replaces the earlier ones."""
        user = factories.UserFactory(username="two")
        factories.MembershipFactory(user=user, organisation=world.alpha, role=Membership.Role.MEMBER)
        factories.MembershipFactory(user=user, organisation=world.zeta, role=Membership.Role.MEMBER).sites.set([world.zeta_site])
        assert names(policy.visible_sites(user)) == ["Alpha HCM", "Alpha Hà Nội", "Zeta HCM"]
        assert names(policy.actable_sites(user)) == ["Alpha HCM", "Alpha Hà Nội", "Zeta HCM"]

    def test_a_role_that_cannot_act_skips_one_organisation_only(self, world):
        """A viewer of Alpha (read first) and a member of Zeta: Zeta's site is still acted at."""
        user = factories.UserFactory(username="viewer_then_member")
        factories.MembershipFactory(user=user, organisation=world.alpha, role=Membership.Role.VIEWER)
        factories.MembershipFactory(user=user, organisation=world.zeta, role=Membership.Role.MEMBER)
        assert names(policy.actable_sites(user)) == ["Zeta HCM"]

    def test_an_inactive_site_is_seen_but_not_acted_at(self, world):
        Site.objects.filter(pk=world.alpha_hcm.pk).update(active=False)
        assert names(policy.visible_sites(world.alice)) == ["Alpha HCM", "Alpha Hà Nội"]
        assert names(policy.actable_sites(world.alice)) == ["Alpha Hà Nội"]

    def test_the_sites_one_acts_at_come_with_their_organisation_and_province(self, world, django_assert_num_queries):
        sites = list(policy.actable_sites(world.alice))
        with django_assert_num_queries(0):
            assert sorted((site.organisation.name, site.province.code) for site in sites) == [("Alpha", 1), ("Alpha", 79)]


@pytest.mark.django_db
def test_acts_at_answers_from_the_scope_as_actable_sites_does(world):
    """The status machine tells acts_at a site's organisation when it has read that the site is active and that
    organisation's own: the answer, read from the scope, is the one actable_sites gives, for every persona (bob is
    limited to one site, vera a viewer, dan a driver) and every active site."""
    factories.MembershipFactory(user=world.fred, organisation=world.zeta, role=Membership.Role.VIEWER)
    Site.objects.filter(pk=world.zeta_site.pk).update(active=False)
    users = User.objects.all()
    compared = 0
    for site in Site.objects.filter(active=True):
        for user in users:
            policy.forget_scope(user)
            assert policy.acts_at(user, site.pk, organisation_id=site.organisation_id) == policy.acts_at(user, site.pk), (user, site)
            compared += 1
    assert compared >= 30


@pytest.mark.django_db
class TestScope:
    """scope_for: who has none, who is an administrator, and that it is read once per request."""

    def test_no_user_an_anonymous_one_or_an_inactive_one_has_no_scope(self, world):
        from django.contrib.auth.models import AnonymousUser

        assert policy.scope_for(None) == policy.Scope()
        assert policy.scope_for(AnonymousUser()) == policy.Scope()
        User.objects.filter(pk=world.alice.pk).update(is_active=False)
        inactive = User.objects.get(pk=world.alice.pk)
        assert inactive.is_authenticated and policy.scope_for(inactive) == policy.Scope()

    def test_staff_alone_makes_an_administrator(self, world):
        staff = factories.UserFactory(username="staff", is_staff=True, is_superuser=False)
        assert policy.scope_for(staff).is_admin and policy.scope_for(staff).sees_everything
        superuser = factories.UserFactory(username="root", is_staff=False, is_superuser=True)
        assert policy.scope_for(superuser).is_admin

    def test_the_scope_is_read_once_with_the_organisations(self, world, django_assert_num_queries):
        user = User.objects.get(pk=world.alice.pk)
        factories.MembershipFactory(user=user, organisation=world.zeta, role=Membership.Role.VIEWER)
        with django_assert_num_queries(2):  # the jurisdiction, the memberships with their organisations and sites
            scope = policy.scope_for(user)
            assert sorted(org.name for org in scope.organisations.values()) == ["Alpha", "Zeta"]
        with django_assert_num_queries(0):
            assert policy.scope_for(user) is scope

    def test_an_official_who_is_also_a_member_sees_both(self, world):
        factories.MembershipFactory(user=world.hanoi_official, organisation=world.zeta, role=Membership.Role.MEMBER)
        official = User.objects.get(pk=world.hanoi_official.pk)
        assert names(policy.visible_sites(official)) == ["Alpha Hà Nội", "Zeta HCM"]


@pytest.mark.django_db
class TestLookups:
    def test_out_of_scope_organisation_is_404(self, world):
        with pytest.raises(Http404):
            policy.get_organisation_for_user(world.alice, world.zeta.pk)

    def test_in_scope_but_role_too_low_is_403(self, world):
        with pytest.raises(PermissionDenied):
            policy.get_organisation_for_user(world.bob, world.alpha.pk, manage=True)

    def test_site_outside_a_limited_membership_is_404(self, world):
        with pytest.raises(Http404):
            policy.get_site_for_user(world.bob, world.alpha_hcm.pk)
