"""A local OpenID Connect issuer for tests, served over real HTTP on 127.0.0.1.

It publishes a discovery document and its JWKS, runs the authorization code flow
(``/authorize`` signs in ``issuer.user`` at once, ``/token`` answers with an ID token
carrying the nonce), and mints ID tokens for tests with :meth:`OIDCIssuer.mint`.
:func:`browser_sign_in` drives a test client through that flow, as a browser does.
"""

import itertools
import json
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "roomloop-test.apps.example"
CLIENT_SECRET = "issuer-test-secret"
DEFAULT_USER = {
    "sub": "google-sub-teacher",
    "email": "teacher@school.example",
    "email_verified": True,
    "hd": "school.example",
    "name": "Ada Park",
}


class QuietHandler(WSGIRequestHandler):
    """Keep the issuer's access log out of the app's logs that tests capture."""

    def log_request(self, *args, **kwargs):
        pass


def new_key(kid):
    """A fresh 2048-bit RSA signing key named ``kid``."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


class OIDCIssuer:
    """An OpenID provider with one signing key; use as a context manager or start/stop."""

    def __init__(self, client_id=CLIENT_ID, client_secret=CLIENT_SECRET):
        self.client_id = client_id
        self.client_secret = client_secret
        self._kids = (f"issuer-key-{n}" for n in itertools.count(1))
        self.key = new_key(next(self._kids))
        self.user = dict(DEFAULT_USER)  # whom the next browser sign-in signs in
        self._codes = {}
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def metadata_url(self):
        return self.url + "/.well-known/openid-configuration"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def rotate_key(self):
        """Sign with a new key under a new kid and publish only that one, as Google does."""
        self.key = new_key(next(self._kids))
        return self.key

    def mint(self, key=None, kid=None, **claims):
        """A signed ID token for ``self.user``; ``claims`` override it, ``None`` leaves one out.

        ``key`` signs instead of the issuer's key (a forgery); ``kid`` replaces the header's.
        """
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": self.client_id,
            **self.user,
            "iat": now,
            "exp": now + 600,
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": kid or key.kid}, payload, key)

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
        }.get(request.path)
        response = handler(request) if handler else Response("Not found", status=404)
        return response(environ, start_response)

    def _discovery(self, request):
        return _json(
            {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    def _jwks(self, request):
        return _json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request):
        """Sign ``self.user`` in without asking, and send the browser back with a code."""
        args = request.args
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            return _json({"error": "invalid_request"}, 400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "redirect_uri": args["redirect_uri"],
            "nonce": args.get("nonce"),
            "user": dict(self.user),
        }
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _token(self, request):
        """Exchange a code, once, for tokens; the client authenticates with HTTP Basic."""
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.client_id, self.client_secret):
            return _json({"error": "invalid_client"}, 401)
        grant = self._codes.pop(request.form.get("code"), None)
        if grant is None or request.form.get("redirect_uri") != grant["redirect_uri"]:
            return _json({"error": "invalid_grant"}, 400)
        id_token = self.mint(nonce=grant["nonce"], **grant["user"])
        return _json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": id_token,
            }
        )


def _json(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def browser_sign_in(client, issuer, next_path=None):
    """Run the browser flow: RoomLoop -> issuer -> callback; return the callback's answer."""
    start = client.get("/login/google", query_string={"next": next_path} if next_path else {})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(issuer.url + "/authorize?")
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/login/google/callback"
    return client.get(f"{callback.path}?{callback.query}")
