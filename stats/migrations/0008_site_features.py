"""The sites' pre-written GeoJSON features (stats.models.SiteFeature), kept by PostgreSQL triggers, and filled.

`stats_write_site_features(ids)` rewrites the rows of the given sites from the sites and their organisations: a site
is on the map when it and its organisation are active and it has a position. The features are the text that
gis.views.data.FEATURE writes on other databases, up to the permit status.
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = r"""
CREATE OR REPLACE FUNCTION stats_write_site_features(ids bigint[]) RETURNS void AS $$
    DELETE FROM stats_sitefeature WHERE site_id = ANY(ids);
    INSERT INTO stats_sitefeature (site_id, organisation_id, province_id, head, organisation_entry)
    SELECT s.id, s.organisation_id, s.province_id,
        '{"type":"Feature","id":' || s.id || ',"geometry":{"type":"Point","coordinates":[' || s.longitude::text
        || ',' || s.latitude::text || ']},"properties":{"name":' || to_json(s.name)::text || ',"org":' || s.organisation_id
        || ',"kinds":"' || CASE WHEN o.is_generator THEN 'g' ELSE '' END || CASE WHEN o.is_transporter THEN 't' ELSE '' END
        || CASE WHEN o.is_facility THEN 'f' ELSE '' END || '","province":' || s.province_id || ',"permit":"',
        '"' || o.id || '":' || to_json(o.name)::text
    FROM accounts_site s JOIN accounts_organisation o ON o.id = s.organisation_id
    WHERE s.id = ANY(ids) AND s.active AND o.active AND s.latitude IS NOT NULL AND s.longitude IS NOT NULL;
$$ LANGUAGE sql;

CREATE OR REPLACE FUNCTION stats_site_features_of_site() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM stats_write_site_features(ARRAY[OLD.id]);
        RETURN OLD;
    END IF;
    PERFORM stats_write_site_features(ARRAY[NEW.id]);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION stats_site_features_of_organisation() RETURNS trigger AS $$
BEGIN
    PERFORM stats_write_site_features(ARRAY(SELECT id FROM accounts_site WHERE organisation_id = NEW.id));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER stats_site_features
    AFTER INSERT OR UPDATE OR DELETE ON accounts_site
    FOR EACH ROW EXECUTE FUNCTION stats_site_features_of_site();
-- Only what the features show: an organisation's row is also updated for other reasons.
CREATE TRIGGER stats_site_features
    AFTER UPDATE ON accounts_organisation
    FOR EACH ROW WHEN (
        OLD.name IS DISTINCT FROM NEW.name OR OLD.active IS DISTINCT FROM NEW.active
        OR OLD.is_generator IS DISTINCT FROM NEW.is_generator OR OLD.is_transporter IS DISTINCT FROM NEW.is_transporter
        OR OLD.is_facility IS DISTINCT FROM NEW.is_facility
    )
    EXECUTE FUNCTION stats_site_features_of_organisation();

SELECT stats_write_site_features(ARRAY(SELECT id FROM accounts_site));
"""

DROP = """
DROP TRIGGER IF EXISTS stats_site_features ON accounts_organisation;
DROP TRIGGER IF EXISTS stats_site_features ON accounts_site;
DROP FUNCTION IF EXISTS stats_site_features_of_organisation();
DROP FUNCTION IF EXISTS stats_site_features_of_site();
DROP FUNCTION IF EXISTS stats_write_site_features(bigint[]);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_audit_refuse_truncate"),
        ("stats", "0007_generator_site_codes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteFeature",
            fields=[
                (
                    "site",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.site",
                    ),
                ),
                ("organisation_id", models.BigIntegerField()),
                ("province_id", models.IntegerField()),
                ("head", models.TextField()),
                ("organisation_entry", models.TextField()),
            ],
            options={"default_permissions": ()},
        ),
        migrations.RunPython(forwards, backwards),
    ]
