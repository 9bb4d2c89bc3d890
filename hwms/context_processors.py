from accounts import policy

from .menu import menu_for


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"portal_scope": policy.scope_for(user), "portal_menu": menu_for(user)}
