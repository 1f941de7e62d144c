"""nura-users: one normalized users table kept by the database itself."""


def create_app(*args, **kwargs):
    """The HTTP API (see glue.api.app.create_app); imported on use so the command line stays light."""
    from .api.app import create_app as _create_app

    return _create_app(*args, **kwargs)
