"""The annual statistics reports as PDFs: figures (data), charts (charts), layout (document), the Celery job that
writes the national and the provincial reports (jobs) and who may read them (access)."""
