import pytest
from django.urls import reverse

from tests import factories

URL = reverse("gis:ward_options")


@pytest.fixture
def wards(db):
    hanoi = factories.ProvinceFactory(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    hcm = factories.ProvinceFactory(code=79, name="Thành phố Hồ Chí Minh", codename="ho_chi_minh")
    return {
        "hanoi": [
            factories.WardFactory(code=70, name="Phường Hoàn Kiếm", province=hanoi),
            factories.WardFactory(code=4, name="Phường Ba Đình", province=hanoi),
        ],
        "hcm": [factories.WardFactory(code=26734, name="Phường Sài Gòn", province=hcm)],
    }


@pytest.fixture
def user_client(client, db):
    # client.login() cannot be used: django-axes' backend refuses authenticate() without a request.
    client.force_login(factories.UserFactory(username="ward_picker"))
    return client


def options(response):
    return [line for line in response.content.decode().splitlines() if "<option" in line]


def test_lists_only_the_wards_of_the_province(user_client, wards):
    response = user_client.get(URL, {"province": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="70"' in body and "Phường Hoàn Kiếm" in body
    assert 'value="4"' in body and "Phường Ba Đình" in body
    assert "Sài Gòn" not in body
    assert len(options(response)) == 3  # placeholder + 2 wards

    response = user_client.get(URL, {"province": "79"})
    assert 'value="26734"' in response.content.decode()
    assert "Hoàn Kiếm" not in response.content.decode()


@pytest.mark.parametrize("value", [None, "", "abc", "1a", "-1", "0", "1.5", "²", "１", " ", "99999999999999999999999", "40000"])
def test_bad_province_gives_only_the_placeholder(user_client, wards, value):
    response = user_client.get(URL, {} if value is None else {"province": value})
    assert response.status_code == 200
    assert len(options(response)) == 1
    assert 'value=""' in response.content.decode()


def test_unknown_province_gives_only_the_placeholder(user_client, wards):
    response = user_client.get(URL, {"province": "2"})
    assert response.status_code == 200
    assert len(options(response)) == 1


def test_requires_login(client, wards):
    response = client.get(URL, {"province": "1"})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert "Hoàn Kiếm" not in response.content.decode()
