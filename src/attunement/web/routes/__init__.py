"""The app's pages, one module per area."""

from attunement.web.routes import admin, auth, clinical, feedback, supervision, trends

MODULES = (auth, admin, clinical, feedback, supervision, trends)

__all__ = ["MODULES"]
