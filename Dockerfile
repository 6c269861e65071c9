# Portico: one image for web, worker and beat. Small (slim base, no build tools in the final stage) and
# non-root. Pinned: the base image by exact version, Python packages by pyproject.toml.
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml /src/pyproject.toml
# Dependencies only (the project installs no package of its own; the code is copied below), in their own
# layer so a code change does not reinstall them.
RUN /opt/venv/bin/pip install /src

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTICO_VAR_DIR=/var/lib/portico \
    DJANGO_SETTINGS_MODULE=portico.settings
RUN groupadd --system --gid 10001 portico \
 && useradd --system --uid 10001 --gid portico --home-dir /app --shell /usr/sbin/nologin portico \
 && mkdir -p /var/lib/portico && chown portico:portico /var/lib/portico
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root manage.py ./
COPY --chown=root:root portico ./portico
COPY --chown=root:root core ./core
COPY --chown=root:root clusters ./clusters
COPY --chown=root:root teams ./teams
COPY --chown=root:root routes ./routes
COPY --chown=root:root notifications ./notifications
COPY --chown=root:root templates ./templates
COPY --chown=root:root static ./static
# Static files are collected at build time (whitenoise serves them with hashed names); the keys here only let
# settings load and are never used at run time.
ENV STATIC_ROOT=/app/staticfiles PORTICO_STATIC_MANIFEST=1
RUN SECRET_KEY=collectstatic-only PORTICO_ENCRYPTION_KEYS=collectstatic-only \
    python manage.py collectstatic --noinput --verbosity 0
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "portico.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
