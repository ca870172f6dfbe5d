"""The spatial store: tables, admin boundaries, locating points in admin areas, site registry.

Framework-free: nothing here imports Flask. Callers hand in a SQLAlchemy session and
commit or roll back themselves (the request or CLI command is the edge).
"""
