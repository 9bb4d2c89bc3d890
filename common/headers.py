"""Security headers a view may adjust: the Permissions-Policy (hwms.middleware sets the default on every page)."""

from functools import wraps

PERMISSIONS_POLICY_HEADER = "Permissions-Policy"
# Every powerful feature off unless a page asks for it.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def permissions_policy_value(**allowed):
    """`camera=(), geolocation=(self), …`: each feature denied, those given as feature="self" allowed to this origin."""
    allowed = {name.replace("_", "-"): value for name, value in allowed.items()}
    return ", ".join(f"{feature}=({allowed.get(feature, '')})" for feature in DENIED_FEATURES)


def permissions_policy(**allowed):
    """View decorator: this page may use the features given (e.g. geolocation="self"), the rest stay denied."""
    value = permissions_policy_value(**allowed)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response[PERMISSIONS_POLICY_HEADER] = value
            return response

        return wrapped

    return decorator
