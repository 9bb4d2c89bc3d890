"""The permission matrix: every URL of the portal, every kind of user, on objects they own and objects they do not.

Built from the URL configuration (hwms.urls, walked recursively): a URL pattern without an entry in MATRIX fails
`test_every_url_pattern_has_an_entry`, naming the pattern. Each entry lists cases (the URL's arguments, filled
from the world of tests/security/world.py) and, for each case, the exact answer of each actor to a GET:

    200, 204, 403, 404, 405, 410   the status code
    L                              302 to the sign-in page
    >name                          302 to the page of that URL name (e.g. >detail, >driver_list)

Columns, in order (tests/security/world.py says who each one is):

    anon alice abe vera bob zoe dan kai fred sam rex hn hcm central admin

A case is written `kwarg=ref ?param=ref`: each ref is a name of world.refs (a_ready is the pk of Alpha's manifest
ready for pickup), or a literal value.

The Django admin (admin:*) is covered as a group by one rule, "staff only": every admin URL answers non-staff users
and anonymous visitors with a redirect to the admin's sign-in page, and administrators with the page
(ADMIN_EXCEPTIONS lists the few admin URLs that answer otherwise, with the reason).

All the GETs together change nothing in the database (row counts, the audit chain's last sequence number, and a
digest of every table but the sessions and the sign-in log). Every POST without a CSRF token is refused (403)
and changes nothing.

To see what the portal answers now (after adding a URL): HWMS_MATRIX_RECORD=/tmp/matrix.txt pytest this file;
HWMS_MATRIX_ONLY=manifests: runs only the URL names that start with it.
"""

import os
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpResponseForbidden
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from . import world as security_world

ACTORS = security_world.ACTORS

# fmt: off
MATRIX = {
    "accounts:two_factor": {
        "-": "L >home >home >home >home >home >home >home >home >home >home >home >home >home >home",
    },
    "accounts:two_factor_setup": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:two_factor_codes": {
        "-": "L >profile >profile >profile >profile >profile >profile >profile >profile >profile >profile 200 200 200 200",
    },
    "accounts:two_factor_disable": {
        "-": "L >profile >profile >profile >profile >profile >profile >profile >profile >profile >profile 403 403 403 403",
    },
    "manifests:refuse": {
        "pk=a_by_facility": "L 404 404 404 404 404 403 404 403 404 404 404 404 404 404",
        "pk=a_sealed": "L 403 403 403 403 404 403 404 403 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 403 404 403 404 403 404 404 403 403 403",
    },
    "manifests:counterparties": {
        "?role=facility_site ?q=ab": "L 200 200 404 200 200 404 404 200 200 404 404 404 404 404",
        "?role=generator_site ?q=ab": "L 200 200 404 200 200 404 404 200 200 404 404 404 404 404",
    },
    "annual_reports:document_job": {
        "pk=job_document_a": "L 200 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "annual_reports:document_job_download": {
        "pk=job_document_a": "L 200 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "stats:reports": {
        "-": "L 404 404 404 404 404 404 404 404 404 404 200 200 200 200",
    },
    "stats:reports_generate": {
        "-": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "stats:report_job": {
        "pk=job_report_hn": "L 404 404 404 404 404 404 404 404 404 404 200 404 404 404",
    },
    "stats:report_download": {
        "pk=stat_report_hn": "L 404 404 404 404 404 404 404 404 404 404 200 404 200 200",
    },
    # --- accounts -------------------------------------------------------------------------------------------
    "home": {
        "-": "L 200 200 200 200 200 >driver_list >driver_list 200 200 200 200 200 200 200",
    },
    "accounts:login": {
        "-": "200 >home >home >home >home >home >home >home >home >home >home >home >home >home >home",
    },
    "accounts:logout": {
        "-": "405 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "accounts:profile": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:password_change": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:password_change_done": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:organisation_list": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:organisation_detail": {
        "pk=alpha": "L 200 200 200 200 404 404 404 404 404 404 200 200 200 200",
        "pk=omega": "L 404 404 404 404 404 200 404 200 404 404 404 200 200 200",
        "pk=zeta": "L 404 404 404 404 200 404 404 404 404 404 404 200 200 200",
        "pk=kappa": "L 404 404 404 404 404 404 200 404 404 404 404 200 200 200",
    },
    "accounts:member_add": {
        "pk=alpha": "L 200 403 403 403 404 404 404 404 404 404 403 403 403 403",
        "pk=zeta": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
    },
    "accounts:member_edit": {
        "pk=alpha membership_pk=ms_vera": "L 200 403 403 403 404 404 404 404 404 404 403 403 403 403",
        "pk=zeta membership_pk=ms_zoe": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
        "pk=alpha membership_pk=ms_zoe": "L 404 403 403 403 404 404 404 404 404 404 403 403 403 403",
    },
    "accounts:member_remove": {
        "pk=alpha membership_pk=ms_vera": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
        "pk=zeta membership_pk=ms_zoe": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "accounts:site_create": {
        "pk=alpha": "L 200 403 403 403 404 404 404 404 404 404 403 403 403 403",
        "pk=zeta": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
    },
    "accounts:site_list": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "?province=hanoi": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "accounts:site_edit": {
        "pk=alpha_hn": "L 200 403 403 403 404 404 404 404 404 404 403 404 403 403",
        "pk=alpha_hcm": "L 200 403 403 404 404 404 404 404 404 404 404 403 403 403",
        "pk=zeta_site": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
        "pk=omega_site": "L 404 404 404 404 404 403 404 403 404 404 404 403 403 403",
    },
    # --- manifests: generator -------------------------------------------------------------------------------
    "manifests:list": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:create": {
        "-": "L 200 200 403 200 200 403 403 200 200 403 403 403 403 403",
    },
    "manifests:waste_code_search": {
        "?q=dau": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:detail": {
        "pk=a_draft": "L 200 200 200 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_sealed": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_ready_for_pickup": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_in_transit": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_delivered": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_received": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_completed": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_rejected": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_cancelled_draft": "L 200 200 200 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_cancelled": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_hcm_ready": "L 200 200 200 404 404 200 404 200 404 404 404 200 200 200",
        "pk=a_by_facility": "L 404 404 404 404 404 200 404 200 404 404 404 404 404 404",
        "pk=b_ready": "L 404 404 404 404 200 404 200 404 200 404 404 200 200 200",
        "pk=b_completed": "L 404 404 404 404 200 404 200 404 200 404 404 200 200 200",
    },
    "manifests:edit": {
        "pk=a_draft": "L 200 200 403 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_by_facility": "L 404 404 404 404 404 403 404 200 404 404 404 404 404 404",
        "pk=a_ready_for_pickup": "L >detail >detail 403 >detail 404 403 404 403 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 >detail 404 403 404 403 404 404 403 403 403",
    },
    "manifests:sign": {
        "pk=a_draft": "L 200 200 403 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_sealed": "L 200 200 403 200 404 403 404 403 404 404 403 403 403 403",
        "pk=a_completed": "L >detail >detail 403 >detail 404 403 404 403 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 >detail 404 403 404 403 404 404 403 403 403",
    },
    "manifests:seal": {
        "pk=a_draft": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "manifests:cancel": {
        "pk=a_draft": "L 200 200 403 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_ready_for_pickup": "L 200 200 403 200 404 403 404 403 404 404 403 403 403 403",
        "pk=a_hcm_ready": "L 200 200 403 404 404 403 404 403 404 404 404 403 403 403",
        "pk=a_completed": "L >detail >detail 403 >detail 404 403 404 403 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 200 404 403 404 403 404 404 403 403 403",
    },
    "manifests:follow_up": {
        "pk=a_rejected": "L 200 200 403 200 404 403 404 403 404 404 403 403 403 403",
        "pk=a_ready_for_pickup": "L >detail >detail 403 >detail 404 403 404 403 404 404 403 403 403 403",
        "pk=b_completed": "L 404 404 404 404 >detail 404 403 404 403 404 404 403 403 403",
    },
    "manifests:handover_code": {
        "org_pk=alpha": "L 200 200 403 200 404 404 404 404 404 404 403 403 403 403",
        "org_pk=omega": "L 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
        "org_pk=zeta": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
    },
    # --- manifests: driver ----------------------------------------------------------------------------------
    "manifests:driver_list": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:driver_find": {
        "?number=num_a_ready": "L >driver_list >driver_list >driver_list >driver_list >driver_list >pickup >driver_list >pickup >driver_list >driver_list >driver_list >driver_list >driver_list >driver_list",
        "?number=num_b_ready": "L >driver_list >driver_list >driver_list >driver_list >driver_list >driver_list >pickup >driver_list >driver_list >driver_list >driver_list >driver_list >driver_list >driver_list",
    },
    "manifests:pickup": {
        "pk=a_ready_for_pickup": "L 403 403 403 403 404 200 404 200 404 404 403 403 403 403",
        "pk=a_in_transit": "L 403 403 403 403 404 200 404 200 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 403 404 200 404 403 404 404 403 403 403",
    },
    "manifests:deliver": {
        "pk=a_in_transit": "L 403 403 403 403 404 200 404 200 404 404 403 403 403 403",
        "pk=a_ready_for_pickup": "L 403 403 403 403 404 200 404 200 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 403 404 200 404 403 404 404 403 403 403",
    },
    # --- manifests: facility --------------------------------------------------------------------------------
    "manifests:incoming": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:receive": {
        "pk=a_delivered": "L 403 403 403 403 404 403 404 200 404 404 403 403 403 403",
        "pk=a_ready_for_pickup": "L 403 403 403 403 404 403 404 200 404 404 403 403 403 403",
        "pk=b_completed": "L 404 404 404 404 403 404 403 404 200 404 404 403 403 403",
    },
    "manifests:treat": {
        "pk=a_received": "L 403 403 403 403 404 403 404 200 404 404 403 403 403 403",
        "pk=a_completed": "L 403 403 403 403 404 403 404 200 404 404 403 403 403 403",
        "pk=b_completed": "L 404 404 404 404 403 404 403 404 200 404 404 403 403 403",
    },
    # --- manifests: oversight, revisions, notifications, documents, Excel -----------------------------------
    "manifests:oversight": {
        "kind=discrepancies": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "kind=overdue": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "kind=nothing": "L 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "manifests:revision_create": {
        "pk=a_completed": "L >detail >detail 403 >detail 404 403 404 >detail 404 404 403 403 403 403",
        "pk=a_received": "L >detail >detail 403 >detail 404 403 404 >detail 404 404 403 403 403 403",
        "pk=b_completed": "L 404 404 404 404 >detail 404 403 404 >detail 404 404 403 403 403",
    },
    "manifests:revision_decide": {
        "revision_pk=rev_a": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "revision_pk=rev_b": "L 404 404 404 404 200 404 200 404 200 404 404 200 200 200",
    },
    "manifests:notifications": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:notifications_read": {
        "-": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "manifests:pdf": {
        "pk=a_draft": "L 200 200 200 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_ready_for_pickup": "L 200 200 200 200 404 200 404 200 404 404 200 200 200 200",
        "pk=a_cancelled_draft": "L 200 200 200 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_hcm_ready": "L 200 200 200 404 404 200 404 200 404 404 404 200 200 200",
        "pk=a_by_facility": "L 404 404 404 404 404 200 404 200 404 404 404 404 404 404",
        "pk=b_ready": "L 404 404 404 404 200 404 200 404 200 404 404 200 200 200",
    },
    "manifests:certificate": {
        "pk=a_completed": "L 200 200 200 200 404 403 404 200 404 404 200 200 200 200",
        "pk=a_received": "L 404 404 404 404 404 403 404 404 404 404 404 404 404 404",
        "pk=b_completed": "L 404 404 404 404 200 404 403 404 200 404 404 200 200 200",
    },
    "manifests:verify": {
        "token=tok_ready": "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "token=tok_b_ready": "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "token=tok_cancelled_draft": "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
        "token=forged": "404 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "manifests:import_template": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "manifests:import_lines": {
        "pk=a_draft": "L 200 200 403 200 404 404 404 404 404 404 404 404 404 404",
        "pk=a_by_facility": "L 404 404 404 404 404 403 404 200 404 404 404 404 404 404",
        "pk=a_ready_for_pickup": "L >detail >detail 403 >detail 404 403 404 403 404 404 403 403 403 403",
        "pk=b_ready": "L 404 404 404 404 >detail 404 403 404 403 404 404 403 403 403",
    },
    "manifests:export": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
        "?format=csv": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    # --- maps -----------------------------------------------------------------------------------------------
    "gis:ward_options": {
        "?province=hanoi": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:ward_search": {
        "?q=phuong": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:province_layer": {
        "-": "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:sites_map": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:sites_geojson": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:choropleth": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "gis:flows": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
    },
    # --- annual reports -------------------------------------------------------------------------------------
    "annual_reports:list": {
        "-": "L 200 200 200 200 200 200 200 200 200 200 >register >register >register 200",
    },
    "annual_reports:prepare": {
        "site_pk=alpha_hn year=year": "L 200 200 403 200 404 404 404 404 404 404 403 404 403 403",
        "site_pk=alpha_hcm year=year": "L 200 200 403 404 404 404 404 404 404 404 404 403 403 403",
        "site_pk=zeta_site year=year": "L 404 404 404 404 200 404 404 404 404 404 404 403 403 403",
        "site_pk=alpha_hn year=2999": "L 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "annual_reports:detail": {
        "pk=report_a": "L 200 200 200 200 404 404 404 404 404 404 200 404 200 200",
        "pk=report_b": "L 404 404 404 404 200 404 404 404 404 404 404 200 200 200",
    },
    "annual_reports:pdf": {
        "pk=report_a": "L 200 200 200 200 404 404 404 404 404 404 200 404 200 200",
        "pk=report_b": "L 404 404 404 404 200 404 404 404 404 404 404 200 200 200",
    },
    "annual_reports:xlsx": {
        "pk=report_a": "L 200 200 200 200 404 404 404 404 404 404 200 404 200 200",
        "pk=report_b": "L 404 404 404 404 200 404 404 404 404 404 404 200 200 200",
    },
    "annual_reports:register": {
        "-": "L 404 404 404 404 404 404 404 404 404 404 200 200 200 200",
    },
    "annual_reports:register_province": {
        "code=hanoi": "L 404 404 404 404 404 404 404 404 404 404 200 404 200 200",
        "code=hcm": "L 404 404 404 404 404 404 404 404 404 404 404 200 200 200",
    },
    # --- statistics -----------------------------------------------------------------------------------------
    "stats:home": {
        "-": "L >enterprise >enterprise >enterprise >enterprise >enterprise 404 404 >facility >facility 404 >dashboard >dashboard >dashboard >dashboard",
    },
    "stats:dashboard": {
        "-": "L 404 404 404 404 404 404 404 404 404 404 200 200 200 200",
        "?province=hcm": "L 404 404 404 404 404 404 404 404 404 404 404 200 200 200",
    },
    "stats:enterprise": {
        "pk=alpha": "L 200 200 200 200 404 404 404 404 404 404 200 200 200 200",
        "pk=zeta": "L 404 404 404 404 200 404 404 404 404 404 404 200 200 200",
        "pk=omega": "L 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "stats:facility": {
        "pk=omega": "L 404 404 404 404 404 200 404 200 404 404 404 200 200 200",
        "pk=sigma": "L 404 404 404 404 404 404 404 404 200 404 404 200 200 200",
        "pk=alpha": "L 404 404 404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "stats:export_lines": {
        "-": "L 405 405 405 405 405 405 405 405 405 405 405 405 405 405",
    },
    "stats:job": {
        "pk=job_alice": "L 200 404 404 404 404 404 404 404 404 404 404 404 404 404",
        "pk=job_zoe": "L 404 404 404 404 200 404 404 404 404 404 404 404 404 404",
    },
    "stats:job_download": {
        "pk=job_alice": "L 200 404 404 404 404 404 404 404 404 404 404 404 404 404",
        "pk=job_zoe": "L 404 404 404 404 200 404 404 404 404 404 404 404 404 404",
    },
    # --- language -------------------------------------------------------------------------------------------
    "set_language": {
        "-": ">home >home >home >home >home >home >home >home >home >home >home >home >home >home >home",
    },
}
# fmt: on

# Admin URLs that do not answer "the admin's sign-in page for non-staff, the page for staff" to a GET, and why:
# name -> (administrator's answer, everyone else's answer). An admin URL naming an object that does not exist
# (a table empty in this world) sends the administrator to the index (">index"), by the same rule.
_READ_ONLY = "read-only in the admin (records kept by the portal or loaded from official data)"
ADMIN_EXCEPTIONS = {
    # The portal's sign-in page serves the administration too: anonymous visitors are sent there, a signed-in
    # administrator goes to the index, anyone else signed in is refused.
    "admin:login": (">index", ("L", "403")),
    "admin:logout": ("405", ">index"),  # POST only; non-staff are sent to the index, hence to the sign-in page
    "admin:autocomplete": ("403", ">login"),  # needs the field it completes (app_label, model_name, field_name)
    "admin:view_on_site": ("404", ">login"),  # organisations have no public page
    "admin:admin/(?P<url>.*)$": ("404", ">login"),  # no such admin page; non-staff are not told which pages exist
    **{
        f"admin:{model}_process_import": ("405", ">login")  # django-import-export: the confirmation step is a POST
        for model in ("catalog_wastecode", "accounts_user", "accounts_organisation", "accounts_site",
                      "accounts_membership", "accounts_jurisdiction", "accounts_permit", "accounts_vehicle")
    },
    **{f"admin:{model}_add": ("403", ">login") for model in (  # _READ_ONLY
        "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "gis_province", "gis_ward",
        "gis_legacyprovince", "accounts_auditevent")},
    **{f"admin:{model}_delete": ("403", ">login") for model in (  # _READ_ONLY
        "gis_province", "gis_ward", "gis_legacyprovince", "accounts_auditevent")},
}


# --- the URL configuration -----------------------------------------------------------------------------------


def url_patterns(patterns=None, namespace="", prefix=""):
    """(name, route) of every URL pattern, with its namespace; unnamed patterns by their route."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            yield from url_patterns(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = entry.name or route
            name = f"{namespace}:{name}" if namespace else name
            yield name, route


def is_admin(name):
    return name.startswith("admin:")


def test_every_url_pattern_has_an_entry():
    names = [name for name, _route in url_patterns()]
    assert len(names) == len(set(names)), "two URL patterns share a name: the matrix could not tell them apart"
    missing = [f"{name} ({route})" for name, route in url_patterns() if not is_admin(name) and name not in MATRIX]
    assert not missing, "URL patterns without an entry in tests/security/test_permission_matrix.py MATRIX: " + ", ".join(missing)
    stale = set(MATRIX) - set(names)
    assert not stale, f"MATRIX entries for URL patterns that no longer exist: {sorted(stale)}"
    for name, cases in MATRIX.items():
        for case, expected in cases.items():
            assert len(expected.split()) == len(ACTORS), f"{name} [{case}]: {len(ACTORS)} answers expected, one per actor"


# --- the world and the answers -------------------------------------------------------------------------------


@pytest.fixture
def matrix_world(chain, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return security_world.build(chain)


def signed_in(users):
    clients = {}
    for actor, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[actor] = client
    return clients


def case_url(name, case, refs):
    kwargs, query = {}, {}
    if case != "-":
        for part in case.split():
            target = query if part.startswith("?") else kwargs
            key, value = part.lstrip("?").split("=", 1)
            target[key] = refs.get(value, value)
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def get(client, url):
    """The answer to a GET (streamed downloads read and closed)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
        # Closing sends request_finished, whose close_old_connections would close the test's connection on
        # PostgreSQL (it is inside the test's transaction): disconnected meanwhile, as the test client does.
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    return answer(response)


def answer(response):
    if response.status_code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path == resolve_url(settings.LOGIN_URL):
            return "L"
        return ">" + resolve(path).url_name
    return str(response.status_code)


snapshot, changes = security_world.database_state, security_world.changes


def record(name, cases_answers):
    """HWMS_MATRIX_RECORD: write the portal's answers in MATRIX's format, to review and paste."""
    path = os.environ.get("HWMS_MATRIX_RECORD")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(f'    "{name}": {{\n')
        for case, answers in cases_answers.items():
            out.write(f'        "{case}": "{" ".join(answers)}",\n')
        out.write("    },\n")


@pytest.mark.django_db
def test_permission_matrix(matrix_world):
    """Every URL × every actor: the exact answer of MATRIX; and all these GETs change nothing."""
    clients = signed_in(matrix_world.users)
    before = snapshot()
    wrong = []
    only = os.environ.get("HWMS_MATRIX_ONLY", "")
    for name, cases in MATRIX.items():
        if not name.startswith(only):
            continue
        got_cases = {}
        for case, expected in cases.items():
            url = case_url(name, case, matrix_world.refs)
            got = [get(clients[actor], url) for actor in ACTORS]
            got_cases[case] = got
            for actor, want, have in zip(ACTORS, expected.split(), got, strict=False):
                if want != have:
                    wrong.append(f"{name} [{case}] {url} as {actor}: expected {want}, got {have}")
        record(name, got_cases)
    assert not wrong, f"{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)
    after = snapshot()
    assert after == before, "a GET changed the database: " + changes(before, after)


# --- the admin, as a group -----------------------------------------------------------------------------------


def admin_url(name, route, w):
    """The admin URL with its arguments filled (an existing object of the model when there is one), and the
    expected answers (administrator, everyone else)."""
    pattern_kwargs = {}
    expected = ADMIN_EXCEPTIONS.get(name, ("200", ">login"))
    if "(?P<url>" in route:
        return "/admin/no-such-page/", expected
    if "(?P<app_label>" in route:
        return reverse(name, kwargs={"app_label": "accounts"}), expected
    if "<path:content_type_id>" in route:
        content_type = ContentType.objects.get_for_model(w.alpha)
        return reverse(name, kwargs={"content_type_id": content_type.pk, "object_id": w.alpha.pk}), expected
    if route.endswith("/<path:object_id>/"):  # the admin's short link to a change page
        model_route = route.removeprefix("admin/").split("/")[:2]
        obj = apps.get_model(*model_route)._base_manager.order_by("pk").first()
        url = reverse(f"admin:{'_'.join(model_route)}_change", kwargs={"object_id": obj.pk if obj else 1}).removesuffix("change/")
        return url, (f">{'_'.join(model_route)}_change", ">login")
    if "<path:object_id>" in route or "<id>" in route or "<int:pk>" in route:
        model_route = route.removeprefix("admin/").split("/")[:2]
        model = apps.get_model(*model_route)
        obj = model._base_manager.order_by("pk").first()
        key = "object_id" if "<path:object_id>" in route else "pk" if "<int:pk>" in route else "id"
        pattern_kwargs[key] = str(obj.pk) if obj is not None else "1"
        if obj is None:
            return reverse(name, kwargs=pattern_kwargs), ADMIN_EXCEPTIONS.get(name, (">index", ">login"))
    return reverse(name, kwargs=pattern_kwargs), ADMIN_EXCEPTIONS.get(name, ("200", ">login"))


# Anonymous visitors, an enterprise's administrator, a central official, a driver and the administrator: the
# admin asks only "staff or not?", so the other actors would add time and nothing else.
ADMIN_ACTORS = ("anon", "alice", "central", "dan", "admin")


@pytest.mark.django_db
def test_admin_is_for_staff_only(matrix_world):
    """Every admin URL: anonymous visitors and non-staff actors are sent to the admin's sign-in page, the
    administrator gets the page (ADMIN_EXCEPTIONS aside)."""
    clients = signed_in(matrix_world.users)
    before = snapshot()
    wrong = []
    for name, route in url_patterns():
        if not is_admin(name):
            continue
        url, (expected_staff, expected_others) = admin_url(name, route, matrix_world)
        for actor in ADMIN_ACTORS:
            got = get(clients[actor], url)
            want = expected_staff if actor == "admin" else expected_others
            if isinstance(want, tuple):  # (anonymous, signed in)
                want = want[0] if actor == "anon" else want[1]
            if got != want:
                wrong.append(f"{name} {url} as {actor}: expected {want}, got {got}")
    assert not wrong, f"{len(wrong)} admin answers differ from the rule:\n" + "\n".join(wrong)
    after = snapshot()
    assert after == before, "a GET of the admin changed the database: " + changes(before, after)


# --- CSRF on every POST --------------------------------------------------------------------------------------


def csrf_refused(request, reason=""):
    """CSRF_FAILURE_VIEW in these tests: a refusal the test can tell from any other 403."""
    return HttpResponseForbidden(b"csrf-refused")


def first_allowed(expected):
    """The first actor MATRIX lets in (an answer other than 403/404/L), or the administrator."""
    for actor, want in zip(ACTORS, expected.split(), strict=True):
        if want not in ("403", "404", "405", "L"):
            return actor
    return "admin"


@pytest.mark.django_db
def test_every_post_needs_the_csrf_token(matrix_world, settings):
    """A POST without the token to every URL (each case of the matrix, as an actor who may use the page, and every
    admin URL as the administrator) is refused by the CSRF check and changes nothing."""
    settings.CSRF_FAILURE_VIEW = "tests.security.test_permission_matrix.csrf_refused"
    clients = {}
    for actor, user in matrix_world.users.items():
        clients[actor] = Client(enforce_csrf_checks=True)
        if user is not None:
            clients[actor].force_login(user)
    targets = [
        (case_url(name, case, matrix_world.refs), first_allowed(expected)) for name, cases in MATRIX.items() for case, expected in cases.items()
    ]
    targets += [(admin_url(name, route, matrix_world)[0], "admin") for name, route in url_patterns() if is_admin(name)]
    payload = {"password": security_world.PASSWORD, "reason": "x", "comment": "x", "decision": "approve", "q": "x", "year": "2025"}
    before = snapshot()
    wrong = []
    for url, actor in targets:
        response = clients[actor].post(url, payload)
        if response.status_code != 403 or response.content != b"csrf-refused":
            wrong.append(f"POST {url} as {actor} without the CSRF token: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    after = snapshot()
    assert after == before, "a POST without the CSRF token changed the database: " + changes(before, after)
