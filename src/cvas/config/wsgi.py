"""WSGI entry point (used by `cvas serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cvas.config.settings")
application = get_wsgi_application()
