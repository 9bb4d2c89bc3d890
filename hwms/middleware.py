from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language

from common.headers import PERMISSIONS_POLICY_HEADER, permissions_policy_value


class PortalLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose another language with the switch (language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an official with an English
    browser would get the English portal without asking for it; the working language is Vietnamese.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PermissionsPolicyMiddleware:
    """Browser features denied on every page (camera, microphone, geolocation, …); a view that needs one says so
    with common.headers.permissions_policy (the driver's pickup and delivery pages ask for geolocation)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.default = permissions_policy_value()

    def __call__(self, request):
        response = self.get_response(request)
        if PERMISSIONS_POLICY_HEADER not in response:
            response[PERMISSIONS_POLICY_HEADER] = self.default
        return response
