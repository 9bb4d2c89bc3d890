"""Hostile input: what the tests send, and what every answer must respect.

`hostile_values` draws what a careless or malicious client can put in a field: numbers out of range or in another
notation (NaN, Infinity, 1e309, a Vietnamese decimal comma, 40 digits, Arabic-Indic or full-width digits), dates that
do not exist, right-to-left marks, combining marks, NUL bytes, lone surrogates (sent as the raw bytes a browser
would never send), emoji, strings of 100,000 characters. `post_form` sends a form as the page rendered it, with
some fields replaced; `check_answer` asserts the portal's side of the contract: never a 500, a refused form says
why, and a refused request saves nothing.
"""

from html.parser import HTMLParser
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.security.world import database_state

NASTY = [
    "", " ", "-1", "0", "-0", "-0.01", "0.001", "1e309", "1E5", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf",
    "1,5", "1.000,50", "12,345.67", "1 000", "0.0000000001", "1" * 30, "9" * 400, "-" + "9" * 30, "٣", "²", "１２", "𝟗",
    "\x00", "a\x00b", "\u202e\u0645\u0631\u062d\u0628\u0627", "e\u0301" * 50, "😀", "\U0001f469\u200d\U0001f52c" * 20,
    "\ud800", "x\udfffy", "x" * 100_000, "2026-02-30", "99999-12-31", "0000-00-00", "31/12/2025", "2025-13-01",
    "-2025-01-01", "9999999999", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\r\n", "None", "null", "[]",
    "{}", "true", "١٢٣٫٤٥",
]

# The sweep: every field of a form meets each of these once (post k gives field i DANGEROUS[(i + k) % n]). No NUL:
# one NUL anywhere answers 400 before any field is read (common.middleware, tests/hostile/test_nul.py).
DANGEROUS = ["9" * 30, "NaN", "1,5", "\ud800", "-" + "9" * 30, "x" * 20_000, "2026-02-30"]


def sweep(base, fixed=()):
    """The payloads of the sweep over a form's fields (those in `fixed` kept)."""
    names = sorted(set(base) - set(fixed))
    for k in range(len(DANGEROUS)):
        yield base | {name: DANGEROUS[(i + k) % len(DANGEROUS)] for i, name in enumerate(names)}


hostile_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Mn", "So"]), max_size=10),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


class PostForms(HTMLParser):
    """The <form method="post"> of a page, each as the fields and values the page put in them: what a browser
    would send untouched."""

    def __init__(self):
        super().__init__()
        self.forms, self._fields, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._fields = {}
            self.forms.append(self._fields)
        fields, name = self._fields, attrs.get("name")
        if fields is None or not name:
            if tag == "option" and self._select and fields is not None:
                self._option(attrs)
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields[name] = attrs.get("value", "on")
                elif kind == "radio" and not fields.get(name):
                    fields[name] = attrs.get("value", "")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                fields[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def _option(self, attrs):
        value = attrs.get("value", "")
        if "selected" in attrs or (not self._fields[self._select] and value):
            self._fields[self._select] = value

    def handle_data(self, data):
        if self._textarea and self._fields is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._fields = None


def form_fields(client, url, marker, **overrides):
    """The fields of the page's POST form that has a field named `marker` (the CSRF token left out)."""
    response = client.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    parser = PostForms()
    parser.feed(response.content.decode())
    form = next((fields for fields in parser.forms if marker in fields), None)
    assert form is not None, f"no form with a field {marker!r} on {url}: {[list(f) for f in parser.forms]}"
    return {name: value for name, value in form.items() if name != "csrfmiddlewaretoken"} | overrides


def encode(data):
    """A form body as a client would send it; lone surrogates become the raw (invalid UTF-8) bytes."""
    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")


def post_form(client, url, data):
    return client.post(url, encode(data), content_type="application/x-www-form-urlencoded")


def get_query(client, url, params):
    return client.get(f"{url}?{encode(params)}")


state = database_state


REFUSED = {200, 400, 403, 404, 405, 410, 429}


def form_errors(response):
    """The errors of the forms the page was rendered with (field name -> messages)."""
    errors = {}
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            for form in value.forms if hasattr(value, "forms") and hasattr(value, "management_form") else [value]:
                if hasattr(form, "errors") and hasattr(form, "is_bound") and form.is_bound and form.errors:
                    errors.update({name: list(messages) for name, messages in form.errors.items()})
            if hasattr(value, "non_form_errors") and hasattr(value, "is_bound") and value.is_bound and value.non_form_errors():
                errors["__formset__"] = list(value.non_form_errors())
    return errors


def check_answer(response, before, *, accepted=(302,), page=True):
    """Never a 500; a refused form is shown again with its errors, each on the page; a refusal saves nothing."""
    code = response.status_code
    assert code < 500, f"{code}: {response.content[:300]!r}"
    assert code in REFUSED | set(accepted), f"unexpected answer {code}"
    if code in accepted:
        return
    if page and code == 200:
        errors = form_errors(response)
        assert errors, "the form was refused without saying why"
        content = response.content.decode()
        from django.utils.html import escape

        for messages in errors.values():
            assert any(escape(message) in content for message in messages), f"errors not shown on the page: {messages}"
    assert state() == before, f"a refused request ({code}) changed the database"
