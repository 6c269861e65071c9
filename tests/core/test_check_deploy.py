"""With production environment values, Django's deployment checklist finds nothing to fix."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "k7#p2!vQz9@Lm4$Xw8^Rt6&Yb1*Nc5%Hd3-Gf0+Js7=Ua2~Ei9Oq",
    "PORTICO_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy1rZXk=",
    "DATABASE_URL": "postgres://portico:secret@db.internal:5432/portico",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "portico.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portico.example.com",
    "PORTICO_SECURE": "1",
    "PORTICO_METRICS_TOKEN": "scrape-token-for-prometheus",
    "DEBUG": "0",
}


def run_manage(*args, **env):
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_without_secure_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "PORTICO_SECURE": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_check_deploy_warns_that_metrics_are_closed_without_a_token():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{k: v for k, v in PRODUCTION.items() if k != "PORTICO_METRICS_TOKEN"},
    )
    assert result.returncode != 0
    assert "portico.W001" in result.stderr + result.stdout and "/metrics answers 403" in result.stderr + result.stdout


def test_production_refuses_to_start_without_secrets():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", **env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    env = {k: v for k, v in PRODUCTION.items() if k != "PORTICO_ENCRYPTION_KEYS"}
    result = run_manage("check", **env)
    assert result.returncode != 0 and "PORTICO_ENCRYPTION_KEYS must be set" in result.stderr


def test_security_headers_are_sent(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
