"""Who is acting and what they may do: roles and capabilities (``permissions``), API keys
and session tokens (``tokens``), browser sessions (``sessions``) and Google ID-token checks
(``google``). Callers import from the module they need; nothing here reads the request.
"""
