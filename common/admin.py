"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """View only: no add, change or delete in the admin (reference data, append-only history)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
