# Hotline IVR agent. Same install path as the Makefile: scripts/install-system-deps + pip.
#
#   docker build -t ivr .
#   docker run --network host -e IVR_NUMBER_KEY=... ivr                    # one agent, 4 calls
#   docker run --network host ivr ivr serve --bind 0.0.0.0 --workers 3 ...  # Kamailio + 3 workers
#
# Without --network host, publish SIP and the RTP range and tell callers the host's address:
#   docker run -p 5060:5060/udp -p 5060:5060/tcp -p 40000-40099:40000-40099/udp -p 8080:8080 \
#       ivr ivr serve --bind 0.0.0.0 --public-address 203.0.113.7 --admin-bind 0.0.0.0 \
#       --admin-port 8080
# (see deploy/README.md: Docker).
FROM python:3.11-slim-bookworm

# IVR_ENV=production: `ivr doctor` FAILs without IVR_NUMBER_KEY (pass it with -e, never bake it in).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 IVR_DATA_DIR=/var/lib/ivr IVR_ENV=production \
    IVR_CONFIG=/etc/ivr/ivr.toml
WORKDIR /opt/ivr

# runtime profile: espeak-ng (prompts), sox, sipp, kamailio (the front of --workers)
COPY scripts/install-system-deps scripts/
RUN scripts/install-system-deps runtime && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY ivr ivr
COPY config config
COPY prompts prompts
COPY audio audio
COPY deploy deploy
# The wheel installs the defaults to /usr/local/share/ivr; the editable copy an admin mounts or
# changes is /etc/ivr (IVR_CONFIG), with prompts/ and audio/ beside it. The image's RTP range
# is the one EXPOSEd below (100 ports: 2 per call, 4 calls per worker, up to 12 workers).
RUN pip install --no-cache-dir ".[report]" \
    && install -d /etc/ivr \
    && cp -r prompts audio /etc/ivr/ \
    && sed -e 's/^rtp_port_min = 0 /rtp_port_min = 40000/' \
           -e 's/^rtp_port_max = 0 /rtp_port_max = 40099/' config/ivr.toml > /etc/ivr/ivr.toml \
    && grep -q '^rtp_port_min = 40000' /etc/ivr/ivr.toml \
    && useradd --system --home-dir /var/lib/ivr --create-home ivr \
    && ivr config check

USER ivr
# SIP over UDP and TCP; RTP (sip.rtp_port_min..max in /etc/ivr/ivr.toml); /health and /metrics.
EXPOSE 5060/udp 5060/tcp 40000-40099/udp 8080/tcp
VOLUME ["/var/lib/ivr"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status == 200 else 1)"
CMD ["ivr", "serve", "--bind", "0.0.0.0", "--admin-port", "8080", "--admin-bind", "0.0.0.0"]
