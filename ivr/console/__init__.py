"""The web console: agent desk, manager report, admin bench, /health and /metrics.

Starlette + Jinja2 pages, htmx (vendored, static/) for partial updates, Server-Sent Events for
screen pops. Reads tickets and settings only through ivr.tickets and ivr.config: no SQLAlchemy,
no pjsua2 here (tests/console/test_console_imports.py). Build with app.build_console(settings)
and app.create_app(console); `ivr console` and `ivr serve --admin-port` run it.
"""
