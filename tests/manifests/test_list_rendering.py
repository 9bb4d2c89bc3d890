"""The rows of the manifest tables are written in Python (manifest_tags.manifest_rows): their HTML must be what
the template loop they replace printed, in both languages, with and without the province column."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from manifests import selectors, services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# The loop of manifests/partials/manifest_table.html before it became a tag.
TEMPLATE_LOOP = """{% load i18n manifest_tags %}{% for manifest in manifests %}
      <tr>
        <td class="nowrap"><a href="{% url 'manifests:detail' manifest.pk %}"><strong>{{ manifest.number }}</strong></a></td>
        <td>{% status_badge manifest %}{% manifest_flags manifest %}</td>
        <td>{{ manifest.generator.name }}<br><span class="muted">{{ manifest.generator_site.name }}</span></td>
        <td>{{ manifest.facility.name }}<br><span class="muted">{{ manifest.facility_site.name }}</span></td>
        {% if show_province %}<td>{{ manifest.province.name }}</td>{% endif %}
        <td>{{ manifest.planned_pickup_date|date:"SHORT_DATE_FORMAT" }}</td>
        <td class="num">{{ manifest.declared_kg|number }}</td>
      </tr>{% endfor %}"""


def normalised(html):
    # The tag writes the province cell on its own line; the template left an empty line when there was none.
    return "\n".join(line.rstrip() for line in html.splitlines() if line.strip())


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("show_province", [False, True])
def test_the_rows_are_the_template_loops_html(chain, language, show_province):
    w = chain
    signed = services.sign(w.alice, w.draft(), PASSWORD)
    w.draft()
    w.alpha.name = 'Alpha <b>"&'
    w.alpha.save()
    services.cancel(w.alice, w.draft(), "Nhập sai")
    from manifests.models import Manifest

    Manifest.objects.filter(pk=signed.pk).update(has_discrepancy=True, declared_kg=Decimal("12345.5"))
    page = selectors.manifest_page(selectors.scope_rows(w.alice), province=show_province)
    assert len(page.items) == 3
    context = Context({"manifests": page.items, "show_province": show_province})
    with translation.override(language):
        loop = Template(TEMPLATE_LOOP).render(context)
        tag = Template("{% load manifest_tags %}{% manifest_rows manifests show_province %}").render(context)
    assert normalised(tag) == normalised(loop)
    assert "Alpha &lt;b&gt;&quot;&amp;" in tag and ("12.345,5" if language == "vi" else "12,345.5") in tag


# The driver's card (manifests/driver/list_item.html) before it became a tag.
CARD_TEMPLATE = """{% load i18n manifest_tags %}
<article class="card">
  <h3 class="card-title"><span class="manifest-number">{{ manifest.number }}</span> {% include "manifests/partials/status_badge.html" %}</h3>
  {% waste_summary manifest %}
  {% if action == "pickup" %}
    <p>{{ manifest.generator.name }}<br>{% include "manifests/driver/address.html" with site=manifest.generator_site %}</p>
    <p>{% blocktranslate trimmed with date=manifest.planned_pickup_date|date:"SHORT_DATE_FORMAT" %}Planned pickup: {{ date }}{% endblocktranslate %}</p>
    <a class="button block" href="{% url 'manifests:pickup' manifest.pk %}">{% translate "Open and confirm the pickup" %}</a>
  {% elif action == "deliver" %}
    <p>{% translate "Deliver to:" %} {{ manifest.facility.name }}<br>{% include "manifests/driver/address.html" with site=manifest.facility_site %}</p>
    <p class="muted">{% blocktranslate trimmed with plate=manifest.vehicle.plate time=manifest.picked_up_at|date:"SHORT_DATETIME_FORMAT" %}Vehicle {{ plate }}, picked up {{ time }}{% endblocktranslate %}</p>
    <a class="button block" href="{% url 'manifests:deliver' manifest.pk %}">{% translate "Open and confirm the delivery" %}</a>
  {% else %}
    <p>{{ manifest.facility.name }} — {{ manifest.facility_site.name }}</p>
    <p class="muted">{% blocktranslate trimmed with time=manifest.delivered_at|time:"H:i" %}Delivered at {{ time }}{% endblocktranslate %}</p>
  {% endif %}
</article>"""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_drivers_cards_are_the_card_templates_html(chain, language):
    w = chain

    def picked_up():
        m = services.sign(w.alice, w.draft(), PASSWORD)
        return services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})

    ready = services.sign(w.alice, w.draft(), PASSWORD)
    moving = picked_up()
    done = services.deliver(w.dan, picked_up())
    w.alpha_hn.address = "Lô <7> & \"KCN\""
    w.alpha_hn.save()
    from manifests.models import Manifest

    manifests = list(Manifest.objects.filter(pk__in=[ready.pk, moving.pk, done.pk]).order_by("pk"))
    selectors.load_for_transport(selectors.attach_parties(manifests))
    selectors.load_waste_summaries(manifests)
    with translation.override(language):
        for manifest, action in zip(manifests, ["pickup", "deliver", "done"], strict=True):
            context = Context({"manifest": manifest, "action": action})
            card = Template("{% load manifest_tags %}{% driver_card manifest action %}").render(context)
            assert normalised(card) == normalised(Template(CARD_TEMPLATE).render(context)), action
    assert "Lô &lt;7&gt; &amp; &quot;KCN&quot;" in Template("{% load manifest_tags %}{% driver_card manifest 'pickup' %}").render(Context({"manifest": manifests[0]}))


# The rows of manifests/facility/incoming_table.html before they became a tag.
INCOMING_LOOP = """{% load i18n manifest_tags %}{% for manifest in page.items %}
      <tr>
        <td class="stack-title"><a class="manifest-number" href="{% url 'manifests:detail' manifest.pk %}"><strong>{{ manifest.number }}</strong></a></td>
        <td data-label="{% translate 'Waste' %}">{% waste_summary manifest %}</td>
        <td data-label="{% translate 'Generator' %}">{{ manifest.generator.name }}<br><span class="muted">{{ manifest.generator_site.name }}, {{ manifest.generator_site.province.name }}</span></td>
        <td data-label="{% translate 'Facility site' %}">{{ manifest.facility_site.name }}</td>
        <td data-label="{% if show == 'pending' %}{% translate 'Received at' %}{% else %}{% translate 'Planned pickup' %}{% endif %}">{% if show == "pending" %}{{ manifest.received_at|date:"SHORT_DATETIME_FORMAT" }}{% else %}{{ manifest.planned_pickup_date|date:"SHORT_DATE_FORMAT" }}{% endif %}</td>
        <td data-label="{% translate 'Transport' %}">{{ manifest.transporter.name }}{% if manifest.vehicle %}<br><span class="muted">{{ manifest.vehicle.plate }}</span>{% endif %}</td>
        <td data-label="{% translate 'Status' %}">{% status_badge manifest %}{% if manifest.has_discrepancy %} <span class="badge badge-warn">{% translate "discrepancy" %}</span>{% endif %}</td>
        <td>{% if manifest.status == "in_transit" or manifest.status == "delivered" %}<a class="button" href="{% url 'manifests:receive' manifest.pk %}">{% translate "Receive" %}</a>{% elif manifest.status == "received" %}<a class="button" href="{% url 'manifests:treat' manifest.pk %}">{% translate "Record treatment" %}</a>{% endif %}</td>
      </tr>{% endfor %}"""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_incoming_rows_are_the_template_loops_html(client, chain, language):
    w = chain
    m = services.sign(w.alice, w.draft(), PASSWORD)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    services.sign(w.alice, w.draft(), PASSWORD)
    m = services.deliver(w.dan, m)
    services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg - 30, "comment": "Thiếu"} for line in m.lines.all()})
    client.force_login(w.fred)
    client.cookies["django_language"] = language
    for show in ("coming", "pending"):
        response = client.get("/manifests/incoming/", {"show": show})
        page = response.context["page"]
        assert page.items
        with translation.override(language):
            loop = Template(INCOMING_LOOP).render(Context({"page": page, "show": show}))
            tag = Template("{% load manifest_tags %}{% incoming_rows page.items show %}").render(Context({"page": page, "show": show}))
        assert normalised(tag) == normalised(loop), show
        assert normalised(tag) in normalised(response.content.decode())


@pytest.mark.parametrize(
    "queries",
    [
        [None, {"status": "in_transit"}, None, {"status": "in_transit"}, {"status": "received"}],
        [
            {"number": "01-2026", "province": "79"},
            {"number": "<b>x</b>", "province": "79"},
            {"number": "01-2026", "province": "79"},
        ],
        [{"date_from": "bad"}, {"date_from": "2026-01-01"}, {"date_from": "bad", "status": "nope"}],
    ],
)
def test_the_filter_forms_kept_html_is_what_a_new_rendering_prints(world, queries, monkeypatch):
    """form_fields keeps the HTML of a filter form per query, language and choices: whatever the order of the
    requests, each prints exactly what rendering it afresh prints, and a form with errors is never kept."""
    from django.test import RequestFactory

    from common.forms import field_html
    from manifests.filters import ManifestFilter
    from manifests.models import ManifestAccess
    from manifests.templatetags import manifest_tags

    monkeypatch.setattr(manifest_tags, "_form_html", manifest_tags.OrderedDict())
    for language in ("vi", "en", "vi"):
        with translation.override(language):
            for data in queries:
                request = RequestFactory().get("/", data or {})
                form = ManifestFilter(data, queryset=ManifestAccess.objects.none(), request=request).form
                fields = form.visible_fields()
                assert manifest_tags.form_fields(fields) == "".join(field_html(field) for field in fields), (language, data)
                if form.errors:
                    assert manifest_tags._form_key(fields) is None
    kept = [key[3] for key in manifest_tags._form_html]
    assert all(data is None or "bad" not in str(data) for data in kept) and len(kept) <= 2 * len(queries)


def test_the_kept_filter_forms_are_bounded(world, monkeypatch):
    from django.test import RequestFactory

    from manifests.filters import ManifestFilter
    from manifests.models import ManifestAccess
    from manifests.templatetags import manifest_tags

    monkeypatch.setattr(manifest_tags, "_form_html", manifest_tags.OrderedDict())
    monkeypatch.setattr(manifest_tags, "FORM_HTML_KEPT", 3)
    for number in range(6):
        data = {"number": f"01-{number}"}
        form = ManifestFilter(data, queryset=ManifestAccess.objects.none(), request=RequestFactory().get("/", data)).form
        manifest_tags.form_fields(form.visible_fields())
    assert [dict(key[3])["number"] for key in manifest_tags._form_html] == [("01-3",), ("01-4",), ("01-5",)]
