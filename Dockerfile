# Production image: daphne serving intch (HTTP and WebSockets, ASGI); the same image runs the
# Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=intch.settings.production \
    NUMBA_CACHE_DIR=/tmp/numba-cache

RUN useradd --create-home --uid 1000 intch
WORKDIR /app

COPY requirements/base.lock requirements/base.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/base.lock

COPY --chown=intch:intch . .
# collectstatic needs a key to import the settings; it is not kept.
RUN SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(50))') \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown intch:intch /app/media

USER intch
EXPOSE 8000
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "intch.asgi:application"]
