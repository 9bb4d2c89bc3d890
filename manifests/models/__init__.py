from .catalog import CatalogVersion, HazardProperty, PhysicalState, TreatmentMethod, WasteChapter, WasteCode

__all__ = ["CatalogVersion", "HazardProperty", "PhysicalState", "TreatmentMethod", "WasteChapter", "WasteCode"]
