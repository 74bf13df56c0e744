"""WSGI entry point (gunicorn intch.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intch.settings.production")

application = get_wsgi_application()
