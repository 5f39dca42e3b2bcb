# The release, built from these sources and served: `docker build -t ketamine-kg .` then
# `docker run -p 8000:8000 ketamine-kg` (or `docker compose up`). See docs/serving.md.
# BASE_IMAGE: any Debian bookworm image with Python 3.11+ and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# Java for the build's OWL reasoner (HermiT, run through owlready2); nothing else from apt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends default-jre-headless \
    && rm -rf /var/lib/apt/lists/*

# The build and the server run as an unprivileged user that owns only /app.
RUN useradd --create-home --home-dir /app --uid 10001 --shell /usr/sbin/nologin ketamine
WORKDIR /app
USER ketamine

# What `pip install -e .` and the build read (.dockerignore keeps out/, .venv, caches out).
COPY --chown=ketamine:ketamine pyproject.toml README.md LICENSE build.py ./
COPY --chown=ketamine:ketamine src/ src/
COPY --chown=ketamine:ketamine ontology/ ontology/
COPY --chown=ketamine:ketamine data/ data/
COPY --chown=ketamine:ketamine mappings/ mappings/
COPY --chown=ketamine:ketamine shapes/ shapes/
COPY --chown=ketamine:ketamine queries/ queries/
COPY --chown=ketamine:ketamine schemas/ schemas/

# The README's build command: install, then load, validate and write the release into out/.
# A failed gate exits 1, and so fails the image build.
RUN python3 -m venv .venv && . .venv/bin/activate && pip install -e . && python build.py

ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
EXPOSE 8000
# A cheap query through the whole path (HTTP, protocol, a query worker): ASK {} must answer 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/sparql?query=ASK%7B%7D', timeout=4)"]
CMD ["ketamine-kg", "serve", "--host", "0.0.0.0", "--port", "8000"]
