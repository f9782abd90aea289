"""HTTPS enforcement, proxy awareness and the security headers every response carries."""

from urllib.parse import urlsplit, urlunsplit

from flask import redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .api.errors import error_response, is_api_request

# Only the app's own scripts, styles and images; no inline code, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app):
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Behind a load balancer the client's address and scheme arrive in X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def require_https():
        # Health checks come from inside the network, usually over plain HTTP.
        if not app.config["ENFORCE_HTTPS"] or request.is_secure or request.path == "/healthz":
            return None
        if is_api_request():
            return error_response(403, "https_required", "Call the API over HTTPS.")
        # To the school's own host name where it is set: behind a proxy the request's host
        # comes from X-Forwarded-Host, which a client can send.
        host = app.config["SERVER_NAME"] or request.host
        return redirect(
            urlunsplit(urlsplit(request.url)._replace(scheme="https", netloc=host)), 301
        )

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["ENFORCE_HTTPS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
