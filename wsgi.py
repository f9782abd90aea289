from roomloop import create_app

app = create_app()
