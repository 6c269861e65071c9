"""Single sign-on through an OpenID Connect provider, and the provider's groups as teams and roles (docs/sso.md)."""
