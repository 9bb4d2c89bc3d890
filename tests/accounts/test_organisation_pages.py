"""Organisation admins manage their members and sites from ordinary pages, and nobody else's."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Site


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


@pytest.mark.django_db
class TestPermissionTable:
    """Each page × persona: 200 inside the scope, 403 for a role too low, 404 outside the scope."""

    @pytest.mark.parametrize(
        "persona, expected",
        [("alice", 200), ("bob", 403), ("vera", 403), ("hanoi_official", 403), ("zoe", 404), ("nobody", 404), ("fred", 404)],
    )
    def test_member_add_page(self, client, world, persona, expected):
        client.force_login(getattr(world, persona))
        assert client.get(url("member_add", world.alpha.pk)).status_code == expected

    @pytest.mark.parametrize("persona, expected", [("alice", 200), ("bob", 404), ("zoe", 404), ("central_official", 403)])
    def test_site_edit_page(self, client, world, persona, expected):
        client.force_login(getattr(world, persona))
        assert client.get(url("site_edit", world.alpha_hcm.pk)).status_code == expected

    @pytest.mark.parametrize("persona, expected", [("alice", 200), ("vera", 200), ("hanoi_official", 200), ("zoe", 404), ("dan", 404)])
    def test_organisation_detail_page(self, client, world, persona, expected):
        client.force_login(getattr(world, persona))
        assert client.get(url("organisation_detail", world.alpha.pk)).status_code == expected

    def test_members_of_another_organisation_cannot_be_edited_through_ones_own(self, client, world):
        client.force_login(world.alice)
        zoe_membership = Membership.objects.get(user=world.zoe)
        assert client.get(url("member_edit", world.alpha.pk, zoe_membership.pk)).status_code == 404
        assert client.post(url("member_remove", world.alpha.pk, zoe_membership.pk)).status_code == 404
        assert Membership.objects.filter(pk=zoe_membership.pk).exists()

    def test_member_list_is_hidden_from_officials(self, client, world):
        client.force_login(world.hanoi_official)
        page = client.get(url("organisation_detail", world.alpha.pk)).content.decode()
        assert "bob" not in page


@pytest.mark.django_db(transaction=True)
def test_admin_creates_a_member_who_can_log_in_and_the_change_is_audited(client, world, mailoutbox):
    client.force_login(world.alice)
    response = client.post(
        url("member_add", world.alpha.pk),
        {
            "username": "laixe_moi",
            "full_name": "Lái Xe Mới",
            "email": "laixe@example.vn",
            "password": "Xe-tai-2026!",
            "role": "driver",
            "sites": [world.alpha_hn.pk],
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="laixe_moi")
    assert membership.role == "driver" and list(membership.sites.all()) == [world.alpha_hn]
    event = AuditEvent.objects.get(chain=f"organisation:{world.alpha.pk}", action="member.created")
    assert event.actor == world.alice and event.data["user"] == "laixe_moi"
    # The welcome e-mail went out after commit (eager Celery), in Vietnamese.
    assert [m.to for m in mailoutbox] == [["laixe@example.vn"]]
    assert "Alpha" in mailoutbox[0].subject
    client.logout()
    assert client.post(reverse("accounts:login"), {"username": "laixe_moi", "password": "Xe-tai-2026!"}).status_code == 302


@pytest.mark.django_db
def test_bad_member_input_is_shown_next_to_the_fields_and_nothing_is_saved(client, world):
    client.force_login(world.alice)
    response = client.post(
        url("member_add", world.alpha.pk),
        {"username": "bob", "full_name": "", "password": "123", "role": "boss"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tên đăng nhập này đã có người dùng" in page
    assert page.count('class="error"') >= 3
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted_or_removed(client, world):
    client.force_login(world.alice)
    alice_membership = Membership.objects.get(user=world.alice)
    response = client.post(url("member_edit", world.alpha.pk, alice_membership.pk), {"role": "member"})
    assert "ít nhất một quản trị" in response.content.decode()
    client.post(url("member_remove", world.alpha.pk, alice_membership.pk))
    alice_membership.refresh_from_db()
    assert alice_membership.role == "admin"


@pytest.mark.django_db
def test_admin_changes_a_role_and_the_limit(client, world):
    client.force_login(world.alice)
    bob_membership = Membership.objects.get(user=world.bob)
    response = client.post(url("member_edit", world.alpha.pk, bob_membership.pk), {"role": "viewer", "sites": []})
    assert response.status_code == 302
    bob_membership.refresh_from_db()
    assert bob_membership.role == "viewer" and not bob_membership.sites.exists()


@pytest.mark.django_db
def test_admin_adds_a_site_with_ward_of_the_province(client, world):
    client.force_login(world.alice)
    data = {"name": "Kho mới", "address": "Số 2", "province": world.hanoi.pk, "ward": world.hanoi_ward.pk, "latitude": "21.03", "longitude": "105.85", "active": "on"}
    assert client.post(url("site_create", world.alpha.pk), data).status_code == 302
    site = Site.objects.get(name="Kho mới")
    assert site.organisation == world.alpha
    assert AuditEvent.objects.filter(action="site.created", data__site=site.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ward": "26734"}, "ward", "không thuộc tỉnh/thành phố đã chọn"),
        ({"latitude": "13.75", "longitude": "100.50"}, "latitude", "ngoài lãnh thổ Việt Nam"),
        ({"latitude": "21.03", "longitude": ""}, "latitude", "cả vĩ độ và kinh độ"),
    ],
)
def test_bad_site_input_is_refused_with_a_message(client, world, changes, field, message):
    client.force_login(world.alice)
    data = {"name": "Kho lỗi", "address": "Số 2", "province": world.hanoi.pk, "ward": world.hanoi_ward.pk, "latitude": "21.03", "longitude": "105.85"}
    data.update(changes)
    response = client.post(url("site_create", world.alpha.pk), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Site.objects.filter(name="Kho lỗi").exists()

