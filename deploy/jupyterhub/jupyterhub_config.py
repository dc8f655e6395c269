"""JupyterHub for a team's casebook: casekit's notebooks and Voila in each person's server.

Run it with ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` from casekit's environment,
as the account that runs the hub (see README.md beside this file, and docs/hub.md). Every
setting comes from the environment or from files outside the repository, never from here:

- CASEKIT_HUB_STORE          the team store's URL, without a password
- CASEKIT_HUB_PASSWORD_FILE  the file (0600) holding that role's password (optional)
- CASEKIT_HUB_BIND_URL       the hub's address (default http://127.0.0.1:8000, behind TLS)
- CASEKIT_HUB_SSL_CERT, CASEKIT_HUB_SSL_KEY  TLS on the hub itself (optional)
- CASEKIT_HUB_STATE          the hub's private state folder (its database, cookie secret)
- CASEKIT_HUB_IDLE_TIMEOUT   seconds before an unused server is stopped (default 3600)
- CASEKIT_HUB_PROXY          the configurable-http-proxy command
- CONFIGPROXY_AUTH_TOKEN     the proxy's API token (JupyterHub makes one if unset)
- CASEKIT_HUB_SSO            azuread or generic: single sign-on (the OAUTH_* settings below)
"""

import os

from casekit.app.hub import configure
from casekit.errors import CasekitError

c = get_config()  # noqa: F821 - JupyterHub gives its configuration files get_config

try:
    configure(c)
except CasekitError as problem:  # a setting to put right: one line, no traceback
    raise SystemExit(f"casekit hub: {problem}") from None

# ---- Single sign-on: the council's identity provider, through OAuthenticator ----------------
# Without CASEKIT_HUB_SSO the hub logs people in with their accounts on this machine (PAM).
# Either way each server runs as the account of the person's name (LocalProcessSpawner): create
# one for each member of the team (see docs/hub.md).
sso = os.environ.get("CASEKIT_HUB_SSO", "").strip()
if sso:
    c.OAuthenticator.client_id = os.environ["OAUTH_CLIENT_ID"]
    with open(os.environ["OAUTH_CLIENT_SECRET_FILE"], encoding="utf-8") as secret:
        c.OAuthenticator.client_secret = secret.read().strip()
    c.OAuthenticator.oauth_callback_url = os.environ["OAUTH_CALLBACK_URL"]
    # only members of the group(s) the council names may log in; nobody else, by default
    groups = os.environ.get("OAUTH_ALLOWED_GROUPS", "").split(",")
    c.OAuthenticator.manage_groups = True
    c.OAuthenticator.allowed_groups = {g.strip() for g in groups if g.strip()}
    c.OAuthenticator.admin_groups = {os.environ.get("OAUTH_ADMIN_GROUP", "casekit-hub-admins")}
    # the account name is the part before the @: "a.worker@council.gov.uk" is a.worker
    c.OAuthenticator.username_claim = lambda claims: (
        claims["preferred_username"].split("@")[0].lower()
    )
if sso == "azuread":  # Microsoft Entra ID (Azure AD)
    c.JupyterHub.authenticator_class = "azuread"
    c.AzureAdOAuthenticator.tenant_id = os.environ["AZURE_TENANT_ID"]
    c.AzureAdOAuthenticator.auth_state_groups_key = "user.groups"
elif sso == "generic":  # any OpenID Connect provider (Keycloak's paths shown)
    issuer = os.environ["OIDC_ISSUER"].rstrip("/")
    c.JupyterHub.authenticator_class = "generic-oauth"
    c.GenericOAuthenticator.authorize_url = f"{issuer}/protocol/openid-connect/auth"
    c.GenericOAuthenticator.token_url = f"{issuer}/protocol/openid-connect/token"
    c.GenericOAuthenticator.userdata_url = f"{issuer}/protocol/openid-connect/userinfo"
    c.GenericOAuthenticator.scope = ["openid", "profile", "email", "groups"]
    c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"
elif sso:
    raise SystemExit(f"CASEKIT_HUB_SSO={sso!r}: give azuread or generic (see docs/hub.md).")
