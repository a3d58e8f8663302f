# syntax=docker/dockerfile:1
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY core/__init__.py core/__init__.py
COPY db/__init__.py db/__init__.py
COPY scheduler/__init__.py scheduler/__init__.py
COPY bot/__init__.py bot/__init__.py
COPY api/__init__.py api/__init__.py
RUN pip install '.[fast]'

COPY . .
RUN pybabel compile -d locales -D messages \
    && mkdir -p /app/data && chown -R app:app /app/data

USER app
# Inside a container the API must listen beyond loopback; SQLite lives on a volume
# unless DATABASE_URL names a PostgreSQL server (see docker-compose.yml).
ENV API_HOST=0.0.0.0 \
    API_PORT=8080 \
    DATABASE_URL=sqlite:////app/data/uptime.sqlite3
VOLUME ["/app/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('API_PORT', '8080'), timeout=4).status == 200 else 1)"

# run.py applies pending migrations, then serves; SIGTERM stops it cleanly.
STOPSIGNAL SIGTERM
CMD ["python", "run.py"]
