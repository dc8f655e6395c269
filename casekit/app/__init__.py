"""The casekit app: a Voila/Jupyter server with a login and a home page."""
