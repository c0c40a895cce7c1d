"""What an operator watches: /health (named checks, 503 with the failing ones) and /metrics
(Prometheus, one view over every worker of `ivr serve --workers`), served with the web console
by one admin endpoint per deployment (ivr.console.server: the agent's, or the supervisor's for a
set)."""
