"""Import and export of the waste list (django-import-export).

The official list arrives as a spreadsheet (XLSX or CSV), one row per waste code, with the columns

    code, name_vi, name_en, ec_code, basel_code, hazard_properties, physical_states, class_marker, verified

(Vietnamese headings such as "Mã chất thải" or "Tính chất nguy hại" are accepted too). The rows go into the
catalog version chosen on the admin import form (`catalog.forms.WasteCodeImportForm`), passed to the
resource as `version=` (an existing CatalogVersion) or `new_version=` (label, effective date, legal basis —
created inside the import's transaction, so a dry run or a failed import leaves nothing behind). The import id is
(version, code); the chapter comes from the first two digits of the code.

Every bad row is reported with its row number and the reason; with IMPORT_EXPORT_USE_TRANSACTIONS the import
is one transaction and `import_data` rolls back on validation errors too, so one bad row saves nothing.

Spreadsheets mangle codes: "17 02 03" typed into Excel may come back as the number 170203, and "01 01 01" as
10101. A code made only of digits is therefore re-split into pairs, with the lost leading zero put back.
Cells are read and written by the project's spreadsheet layer (common.spreadsheets): exported text that a
spreadsheet would run as a formula gets a leading apostrophe, which the import removes.
"""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.results import RowResult

from common.spreadsheets import cell_text, escape_formula, fold_header

from .codes import normalise_waste_code
from .models import CatalogVersion, HazardProperty, PhysicalState, WasteChapter, WasteCode

COLUMNS = [
    "code",
    "name_vi",
    "name_en",
    "ec_code",
    "basel_code",
    "hazard_properties",
    "physical_states",
    "class_marker",
    "verified",
]

# Headings of the official spreadsheets, folded (fold_header), mapped to our column names.
HEADER_ALIASES = {
    "mã": "code",
    "mã chất thải": "code",
    "mã ctnh": "code",
    "tên": "name_vi",
    "tên chất thải": "name_vi",
    "tên tiếng việt": "name_vi",
    "tên tiếng anh": "name_en",
    "mã ec": "ec_code",
    "mã basel": "basel_code",
    "tính chất nguy hại": "hazard_properties",
    "tính chất nguy hại chính": "hazard_properties",
    "trạng thái tồn tại": "physical_states",
    "trạng thái tồn tại thông thường": "physical_states",
    "ký hiệu phân loại": "class_marker",
    "ngưỡng chất thải nguy hại": "class_marker",
    "đã đối chiếu": "verified",
}

# Vietnamese words of the official list → PhysicalState keys (the keys themselves are accepted too).
STATE_WORDS = {"rắn": PhysicalState.SOLID, "lỏng": PhysicalState.LIQUID, "bùn": PhysicalState.SLUDGE, "khí": PhysicalState.GAS}
STATE_KEYS = {**{key: key for key in PhysicalState.values}, **{word: key.value for word, key in STATE_WORDS.items()}}
STATE_NAMES = {key.value: word for word, key in STATE_WORDS.items()}

TRUE_WORDS = {"1", "true", "yes", "x", "có", "đúng"}
FALSE_WORDS = {"0", "false", "no", "không", "sai", ""}


def clean_waste_code(value):
    """A cell of the code column as a canonical code (catalog.codes); ValueError with the reason otherwise."""
    if not cell_text(value):
        raise ValueError(_("Enter the waste code."))
    code = normalise_waste_code(value)
    if code is None:
        raise ValueError(
            _("“%(value)s” is not a waste code: write 1 to 3 pairs of digits, e.g. 17 02 03.") % {"value": cell_text(value)}
        )
    return code


def _split(text, separators):
    return [part.strip() for part in re.split(separators, text) if part.strip()]


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


class CodeTextWidget(TextWidget):
    """EC-style codes: a number from a spreadsheet is written back as pairs of digits (130205 → '13 02 05')."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return clean_waste_code(value)
            except ValueError:
                pass
        return cell_text(value)


class WasteCodeWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_waste_code(value)


class ClassMarkerWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        marker = cell_text(value).upper()
        if not marker:
            raise ValueError(_("Enter the classification mark (NH, KS or TT)."))
        if marker not in WasteCode.ClassMarker.values:
            raise ValueError(_("Unknown classification mark “%(value)s”: use NH, KS or TT.") % {"value": marker})
        return marker


class YesNoWidget(widgets.BooleanWidget):
    """1/0, true/false, có/không, x or empty (= no); anything else is an error rather than a silent 'no'."""

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(_("“%(value)s” is not yes or no: write 1 or 0.") % {"value": cell_text(value)})


class HazardPropertiesWidget(widgets.ManyToManyWidget):
    """Codes separated by ',' or ';', upper-cased ('đ; ln' is Đ and LN); an unknown code is an error."""

    def __init__(self):
        super().__init__(HazardProperty, separator=", ", field="code")

    def clean(self, value, row=None, **kwargs):
        codes = list(dict.fromkeys(code.upper() for code in _split(cell_text(value), r"[,;]")))
        found = {p.code: p for p in HazardProperty.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            known = ", ".join(HazardProperty.objects.order_by("code").values_list("code", flat=True))
            raise ValueError(
                _("Unknown hazard property: %(codes)s. Known codes: %(known)s.") % {"codes": ", ".join(unknown), "known": known}
            )
        return [found[code] for code in codes]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(p.code for p in value.all())


class PhysicalStatesWidget(widgets.Widget):
    """'rắn/lỏng', 'Rắn, Bùn', 'liquid' → ['solid', 'liquid'] …; exported as 'rắn/lỏng'."""

    def clean(self, value, row=None, **kwargs):
        words = _split(cell_text(value).lower(), r"[,/;]")
        unknown = [word for word in words if word not in STATE_KEYS]
        if unknown:
            raise ValueError(
                _("Unknown physical state: %(values)s. Use rắn, lỏng, bùn or khí.") % {"values": ", ".join(unknown)}
            )
        return list(dict.fromkeys(STATE_KEYS[word] for word in words))

    def render(self, value, obj=None, **kwargs):
        return "/".join(STATE_NAMES.get(key, key) for key in value or [])


class WasteCodeResource(resources.ModelResource):
    code = fields.Field("code", "code", WasteCodeWidget())
    name_vi = fields.Field("name_vi", "name_vi", TextWidget())
    name_en = fields.Field("name_en", "name_en", TextWidget())
    ec_code = fields.Field("ec_code", "ec_code", CodeTextWidget())
    basel_code = fields.Field("basel_code", "basel_code", TextWidget())
    hazard_properties = fields.Field("hazard_properties", "hazard_properties", HazardPropertiesWidget())
    physical_states = fields.Field("physical_states", "physical_states", PhysicalStatesWidget())
    class_marker = fields.Field("class_marker", "class_marker", ClassMarkerWidget())
    verified = fields.Field("verified", "verified", YesNoWidget())
    # Filled in by before_import() from the version chosen on the form; exported for information.
    version = fields.Field("version", "version", widgets.ForeignKeyWidget(CatalogVersion, "label"))

    class Meta:
        model = WasteCode
        fields = [*COLUMNS, "version"]
        import_id_fields = ["version", "code"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, version=None, new_version=None, **kwargs):
        """version: a CatalogVersion; or new_version: {"label", "effective_date", "source"} to create one."""
        super().__init__(**kwargs)
        self.version = version
        self.new_version = new_version

    # Import --------------------------------------------------------------------------------------------

    def import_data(self, dataset, *args, rollback_on_validation_errors=True, **kwargs):
        # One bad row saves nothing, even when called outside the admin's preview/confirm steps.
        return super().import_data(dataset, *args, rollback_on_validation_errors=rollback_on_validation_errors, **kwargs)

    def before_import(self, dataset, **kwargs):
        self._seen_codes = {}
        self._chapters = {chapter.code: chapter for chapter in WasteChapter.objects.all()}
        self._target = None
        self._target = self._resolve_version()
        if dataset.headers:
            dataset.headers = [self._canonical_header(header) for header in dataset.headers]
            if "version" in dataset.headers:
                del dataset["version"]  # the form decides, not the file
        else:
            dataset.headers = list(COLUMNS)  # an empty file: no rows to import
        dataset.append_col([self._target.label] * dataset.height, header="version")

    def _resolve_version(self):
        if self.new_version:
            label = self.new_version["label"]
            if CatalogVersion.objects.filter(label=label).exists():
                raise ValueError(
                    _("Catalog version “%(label)s” already exists: choose it in the list instead.") % {"label": label}
                )
            version = CatalogVersion(**self.new_version)
            version.full_clean()
            version.save()
            return version
        if self.version is None:
            raise ValueError(_("Choose the catalog version to import into."))
        return self.version

    @staticmethod
    def _canonical_header(header):
        key = fold_header(cell_text(header))
        return HEADER_ALIASES.get(key, key if key in COLUMNS else cell_text(header))

    def import_row(self, row, instance_loader, **kwargs):
        if all(not cell_text(value) for key, value in row.items() if key != "version"):
            result = self.get_row_result_class()()  # a blank line, e.g. at the end of a sheet
            result.import_type = RowResult.IMPORT_TYPE_SKIP
            return result
        return super().import_row(row, instance_loader, **kwargs)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None  # a malformed code: import_instance() reports it on its row

    def import_instance(self, instance, row, **kwargs):
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(ValidationError(message, code="invalid"))

        if getattr(self, "_target", None) is None:
            add(NON_FIELD_ERRORS, _("Choose the catalog version to import into."))
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Many-to-many values are saved after the row; check them now so a bad one is a row error.
        field = self.fields["hazard_properties"]
        if field.column_name in row:
            try:
                field.clean(row)
            except ValueError as error:
                add("hazard_properties", str(error))

        if "code" not in errors and instance.code:
            chapter = self._chapters.get(instance.code[:2])
            if chapter is None:
                add(
                    "code",
                    _("Chapter %(chapter)s does not exist in the catalog (the first two digits of the code).")
                    % {"chapter": instance.code[:2]},
                )
            else:
                instance.chapter = chapter
            first_row = self._seen_codes.setdefault(instance.code, kwargs.get("row_number"))
            if first_row != kwargs.get("row_number"):
                add(
                    "code",
                    _("Code %(code)s appears more than once in the file (first on row %(row)s).")
                    % {"code": instance.code, "row": first_row},
                )
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if "code" in errors or NON_FIELD_ERRORS in errors:
            exclude |= {"code", "chapter", "version"}  # derived from the code and the form: already reported
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def get_user_visible_fields(self):
        # The admin's "this importer will import the following fields": the version comes from the form.
        return [field for field in super().get_user_visible_fields() if field.column_name != "version"]

    # Export --------------------------------------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))
