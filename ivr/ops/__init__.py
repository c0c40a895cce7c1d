"""What an operator watches: /health (named checks, 503 with the failing ones) and /metrics
(Prometheus, one view over every worker of `ivr serve --workers`), served by one admin
endpoint per deployment (ivr.ops.admin)."""
