"""The HTTP service (Litestar): ask, articles, health, admin reindex, metrics and the page."""

from askshow.api.app import create_app, serve

__all__ = ["create_app", "serve"]
