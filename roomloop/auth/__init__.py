"""Who is acting and what they may do: roles and capabilities (``permissions``), API keys
and session tokens (``tokens``), browser sessions (``sessions``), Google ID-token checks
(``google``), the secret in a calendar feed's address (``feed_tokens``) and in an email's
unsubscribe link (``unsubscribe_tokens``). Callers import from the module they need;
nothing here reads the request.
"""
