from functools import cached_property

from accounts import policy

from .menu import menu_for, menu_html


class PortalMenu:
    """The user's menu for the templates, built when a template first reads it and then kept for the request
    (base.html prints it twice). Iterating gives the entries (menu.MenuItem); printing gives the HTML."""

    def __init__(self, request, user):
        self.request, self.user = request, user

    @cached_property
    def items(self):
        return menu_for(self.user)

    @cached_property
    def html(self):
        return menu_html(self.items, self.request.path)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __str__(self):
        return self.html

    def __html__(self):
        return self.html


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"portal_scope": policy.scope_for(user), "portal_menu": PortalMenu(request, user)}
