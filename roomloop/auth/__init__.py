"""Who is acting and what they may do: roles and capabilities (``permissions``), API keys
and session tokens (``tokens``), browser sessions (``sessions``), Google ID-token checks
(``google``) and the secret in a calendar feed's address (``feed_tokens``). Callers import
from the module they need; nothing here reads the request.
"""
