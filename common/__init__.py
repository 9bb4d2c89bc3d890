"""Layers shared by every app, below all of them: PDF documents (common.documents) and spreadsheets
(common.spreadsheets). Nothing here imports a project app."""
