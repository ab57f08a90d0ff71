"""The cohort board in the browser: ``changeflow serve`` (``pip install 'changeflow[web]'``).

A small server-rendered app on the public API only: Starlette, Jinja2 templates and htmx
(served from the package), run by uvicorn. Staff (organisers, coaches, examiners) and
mentors sign in with passwords set by ``changeflow user set-password``; every write is a
command of the engine as the signed-in actor. See :func:`create_app`.
"""

from __future__ import annotations

from changeflow.web.app import SESSION_MAX_AGE, create_app

__all__ = ["SESSION_MAX_AGE", "create_app"]
