import os

from django.core.wsgi import get_wsgi_application

from common import heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
application = get_wsgi_application()
heap.freeze()  # what the import loaded lives as long as the worker (common/heap.py)
