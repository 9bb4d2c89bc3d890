"""Strings of django-import-export 4.4.3 that our admins see. The package ships no Vietnamese catalog;
listing them here keeps them in locale/vi/LC_MESSAGES/django.po when `make messages` runs."""

from django.utils.translation import gettext_noop, ngettext_lazy

IMPORT_EXPORT_STRINGS = [
    gettext_noop('Import'),
    gettext_noop('%s through import_export'),
    gettext_noop('Import finished: {} new, {} updated, {} deleted and {} skipped {}.'),
    gettext_noop('%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file.'),
    gettext_noop('No valid data to import. Ensure your file has the correct headers or data for import.'),
    gettext_noop('Export'),
    gettext_noop('Export selected %(verbose_name_plural)s'),
    gettext_noop('export failed due to IllegalCharacterError'),
    gettext_noop('Resource'),
    gettext_noop('Format'),
    gettext_noop('File to import'),
    gettext_noop('Form is not validated, call `is_valid` first'),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop("The following fields are declared in 'import_id_fields' but are not present in the resource fields: %s"),
    gettext_noop("The following fields are declared in 'import_id_fields' but are not present in the file headers: %s"),
    gettext_noop('call to force_str() on instance failed: %s'),
    gettext_noop('Home'),
    gettext_noop('This exporter will export the following fields: '),
    gettext_noop('Select all'),
    gettext_noop('Submit'),
    gettext_noop("Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"),
    gettext_noop('Confirm import'),
    gettext_noop('Errors'),
    gettext_noop('Line number'),
    gettext_noop('Some rows failed to validate'),
    gettext_noop('Please correct these errors in your data where possible, then reupload it using the form above.'),
    gettext_noop('Row'),
    gettext_noop('Non field specific'),
    gettext_noop('Preview'),
    gettext_noop('New'),
    gettext_noop('Skipped'),
    gettext_noop('Delete'),
    gettext_noop('Update'),
    gettext_noop('This importer will import the following fields: '),
    gettext_noop('Value could not be parsed.'),
    gettext_noop('use_natural_foreign_keys and key_is_id cannot both be True'),
]
IMPORT_EXPORT_PLURALS = [ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", 1)]
