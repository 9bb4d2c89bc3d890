"""The province choices of the list filters come from the cache, which a change to a province drops."""

from django.urls import reverse

from gis.choices import province_choices
from gis.models import Province


def test_the_choices_are_read_once_then_cached(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert province_choices() == [(1, "Thành phố Hà Nội"), (79, "Thành phố Hồ Chí Minh")]
    with django_assert_num_queries(0):
        assert province_choices() == [(1, "Thành phố Hà Nội"), (79, "Thành phố Hồ Chí Minh")]


def test_a_renamed_added_or_deleted_province_shows_in_the_list_filter_at_once(client, world):
    client.force_login(world.alice)
    assert "Thành phố Hà Nội" in client.get(reverse("manifests:list")).content.decode()
    world.hanoi.name = "Hà Nội (đổi tên)"
    world.hanoi.save()
    added = Province.objects.create(code=2, name="Tỉnh Mới", codename="moi", division_type="tỉnh")
    body = client.get(reverse("manifests:list")).content.decode()
    assert "Hà Nội (đổi tên)" in body and "Tỉnh Mới" in body
    added.delete()
    assert "Tỉnh Mới" not in client.get(reverse("manifests:list")).content.decode()


def test_the_province_filter_still_filters(client, chain):
    from manifests import services
    from tests.factories import PASSWORD

    hanoi_manifest = services.sign(chain.alice, chain.draft(), PASSWORD)
    hcm_manifest = services.sign(chain.alice, chain.draft(site=chain.alpha_hcm), PASSWORD)
    client.force_login(chain.alice)
    page = client.get(reverse("manifests:list"), {"province": "79"}).context["page"]
    assert [m.pk for m in page.items] == [hcm_manifest.pk]
    page = client.get(reverse("manifests:list"), {"province": "1"}).context["page"]
    assert [m.pk for m in page.items] == [hanoi_manifest.pk]
    response = client.get(reverse("manifests:list"), {"province": "99"})
    assert response.status_code == 200 and response.context["filter"].form.errors
