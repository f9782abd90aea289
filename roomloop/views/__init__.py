"""Page blueprints."""


def init_app(app):
    from .home import bp as home

    app.register_blueprint(home)
