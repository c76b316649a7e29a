"""Who may use the HTTP API and the web console: named tokens, users, sessions."""
