import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")

app = Celery("hwms")
# All Celery settings live in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
