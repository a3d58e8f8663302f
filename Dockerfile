# syntax=docker/dockerfile:1
# NOT YET PINNED BY DIGEST: the base should be `python:3.12-slim@sha256:<digest>` so that a
# rebuild gets the same image. The digest was not pinned because this project's build
# machine cannot reach Docker Hub to read it, and a digest must never be guessed. To pin it:
#   docker buildx imagetools inspect python:3.12-slim   (the "Digest:" line)
# then write FROM python:3.12-slim@sha256:<that digest> here.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

# Dependencies first, so code changes do not reinstall them: the exact versions of
# requirements.lock (with the fast extra), each checked against its hash. The code
# itself runs from /app.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
RUN pybabel compile -d locales -D messages \
    && mkdir -p /app/data && chown -R app:app /app/data

USER app
# matplotlib builds its font cache on first use (about a second, on the first chart a
# user asks for): build it now, for this user, into the image.
RUN python -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.font_manager"
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
