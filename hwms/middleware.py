from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language


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
