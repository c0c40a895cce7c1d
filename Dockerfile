# Hotline IVR agent. Same install path as the Makefile: scripts/install-system-deps + pip.
FROM python:3.11-slim-bookworm

# IVR_ENV=production: `ivr doctor` FAILs without IVR_NUMBER_KEY (pass it with -e, never bake it in).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 IVR_DATA_DIR=/var/lib/ivr IVR_ENV=production
WORKDIR /opt/ivr

COPY scripts/install-system-deps scripts/
RUN scripts/install-system-deps runtime && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY ivr ivr
COPY config config
COPY prompts prompts
COPY audio audio
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /var/lib/ivr --create-home ivr

USER ivr
# SIP over UDP and TCP; the admin/health endpoint of `ivr serve`.
EXPOSE 5060/udp 5060/tcp 8080/tcp
VOLUME ["/var/lib/ivr"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status == 200 else 1)"
CMD ["ivr", "serve", "--bind", "0.0.0.0", "--admin-port", "8080"]
