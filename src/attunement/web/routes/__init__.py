"""The app's pages, one module per area."""

from attunement.web.routes import admin, auth, clinical, feedback, trends

MODULES = (auth, admin, clinical, feedback, trends)

__all__ = ["MODULES"]
