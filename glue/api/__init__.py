"""The HTTP API the frontend calls: the app factory (app.py), its blueprints (routes/), the pool
and transactions (db.py), token verification, the one SQLSTATE-to-HTTP map (errors.py), metrics,
the OpenAPI description, and `nura-users serve` (serve.py)."""
