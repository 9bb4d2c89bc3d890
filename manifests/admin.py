from django.contrib import admin

from .models import CatalogVersion, HazardProperty, TreatmentMethod, WasteChapter, WasteCode


@admin.register(WasteChapter)
class WasteChapterAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en"]


@admin.register(HazardProperty)
class HazardPropertyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en"]


@admin.register(TreatmentMethod)
class TreatmentMethodAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "order"]


@admin.register(CatalogVersion)
class CatalogVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "effective_date", "source"]


@admin.register(WasteCode)
class WasteCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "class_marker", "verified", "version", "active"]
    list_filter = ["version", "class_marker", "verified", "chapter"]
    search_fields = ["code", "name_vi", "name_en"]
