"""Portico settings: one module, configured from the environment only.

Defaults serve `make run` on a laptop (SQLite and a file-system broker under var/, DEBUG on). With
DEBUG off, a missing SECRET_KEY or PORTICO_ENCRYPTION_KEYS stops the process at start instead of
running with a guessable key.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTICO_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    PORTICO_SYNC_INTERVAL=(int, 30),
    PORTICO_SYNC_WATCH=(bool, True),
    PORTICO_SYNC_RESYNC=(int, 120),
    PORTICO_PROBE_INTERVAL=(int, 60),
    PORTICO_KUBE_QPS=(float, 20.0),
    PORTICO_KUBE_BURST=(int, 40),
    PORTICO_KUBE_TIMEOUT=(float, 10.0),
    PORTICO_RECONCILE_MAX_RETRIES=(int, 8),
    PORTICO_SECURE=(bool, False),
    PORTICO_API_THROTTLE=(str, "600/minute"),
    PORTICO_WORKER_METRICS_PORT=(int, 0),
    PORTICO_METRICS_TOKEN=(str, ""),
    PORTICO_NOTIFY_TIMEOUT=(float, 10.0),
    PORTICO_NOTIFY_MAX_ATTEMPTS=(int, 8),
    PORTICO_ALLOW_PRIVATE_WEBHOOKS=(bool, False),
    PORTICO_PROGRESS_DEADLINE=(int, 600),
    PORTICO_REACHABILITY_INTERVAL=(int, 300),
    PORTICO_REACHABILITY_TIMEOUT=(float, 5.0),
    PORTICO_REACHABILITY_AFTER_APPLY=(float, 15.0),
    PORTICO_REACHABILITY_ALLOW_PRIVATE=(bool, False),
    PORTICO_REACHABILITY_HTTPS_PORT=(int, 443),
    PORTICO_REACHABILITY_HTTP_PORT=(int, 80),
    PORTICO_REACHABILITY_CA_FILE=(str, ""),
    PORTICO_LOGIN_FAILURE_LIMIT=(int, 5),
    PORTICO_LOGIN_COOLOFF_MINUTES=(int, 15),
    PORTICO_TRUSTED_PROXIES=(int, 0),
    CELERY_TASK_ALWAYS_EAGER=(bool, False),
)

DEBUG = env("DEBUG")
_DEV_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys (urlsafe base64, 32 bytes), newest first: the first encrypts, all decrypt, so keys rotate
# without re-encrypting everything at once (`manage.py rotate_kubeconfigs` re-encrypts with the newest).
_DEV_ENCRYPTION_KEY = "cG9ydGljby1kZXYtb25seS1rZXktMzItYnl0ZXMhIT0="
PORTICO_ENCRYPTION_KEYS = env.list("PORTICO_ENCRYPTION_KEYS", default=[_DEV_ENCRYPTION_KEY] if DEBUG else [])
if not PORTICO_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("PORTICO_ENCRYPTION_KEYS must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "core",
    "sso",
    "clusters",
    "teams",
    "routes",
    "notifications",
]

MIDDLEWARE = [
    "core.health.ProbeMiddleware",
    "core.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.limits.RequestSizeLimitMiddleware",  # before anything reads a body (sessions, CSRF, views)
    # Outside the session (whose save may meet a locked database too), inside the security headers.
    "core.errors.DatabaseBusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sso.recheck.RecheckMiddleware",  # a provider user's groups re-checked when due (docs/sso.md)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portico.urls"
WSGI_APPLICATION = "portico.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portico.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run has web, worker and beat writing one file: wait for the lock instead of failing at once. A
    # transaction takes the write lock when it begins (IMMEDIATE): one that read first and wrote later would
    # otherwise fail at once ("database is locked") when another had written meanwhile, without waiting.
    # WAL: readers never wait for the writer, nor it for them. A lock still held after PORTICO_SQLITE_TIMEOUT
    # seconds answers 503 (core/errors.py), never 500 (docs/security.md, "SQLite in the demo").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=env.int("PORTICO_SQLITE_TIMEOUT", default=20),
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL;",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Shared by every web process when it points at Redis: API throttle counters and the form's cluster lookups.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Sign-in throttling (core/signin.py, docs/security.md): django-axes locks a username out for one client
# address after PORTICO_LOGIN_FAILURE_LIMIT failed sign-ins, for PORTICO_LOGIN_COOLOFF_MINUTES (every further
# failure restarts the wait). Platform engineers unlock in the admin (Axes > Access attempts: delete) or with
# `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "sso.backends.PasswordBackend",
    "sso.backends.OIDCBackend",
]
AXES_FAILURE_LIMIT = env("PORTICO_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env("PORTICO_LOGIN_COOLOFF_MINUTES"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are what counts; a row per successful sign-in is only load
AXES_LOCKOUT_CALLABLE = "core.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.signin.client_address"
# Reverse proxies in front of Portico that append to X-Forwarded-For (0: use the connection's address). The
# client address for sign-in lockouts and API throttles; X-Forwarded-For is never trusted beyond that.
PORTICO_TRUSTED_PROXIES = env("PORTICO_TRUSTED_PROXIES")

# Single sign-on with an OpenID Connect provider (sso/, docs/sso.md, README "Single sign-on"): on when an issuer
# and a client id are set. Groups map to teams and the platform role in the admin, or here.
PORTICO_OIDC_ISSUER = env.str("PORTICO_OIDC_ISSUER", default="")
PORTICO_OIDC_CLIENT_ID = env.str("PORTICO_OIDC_CLIENT_ID", default="")
PORTICO_OIDC_CLIENT_SECRET = env.str("PORTICO_OIDC_CLIENT_SECRET", default="")
PORTICO_OIDC_SCOPES = env.str("PORTICO_OIDC_SCOPES", default="openid email profile groups offline_access")
PORTICO_OIDC_GROUPS_CLAIM = env.str("PORTICO_OIDC_GROUPS_CLAIM", default="groups")
PORTICO_OIDC_USERNAME_CLAIM = env.str("PORTICO_OIDC_USERNAME_CLAIM", default="preferred_username")
PORTICO_OIDC_PROVIDER_NAME = env.str("PORTICO_OIDC_PROVIDER_NAME", default="single sign-on")
PORTICO_OIDC_CA_BUNDLE = env.str("PORTICO_OIDC_CA_BUNDLE", default="")
PORTICO_OIDC_TIMEOUT = env.float("PORTICO_OIDC_TIMEOUT", default=10.0)
PORTICO_OIDC_RECHECK_SECONDS = env.int("PORTICO_OIDC_RECHECK_SECONDS", default=60)
# "group=team-slug,other-group=slug-a;slug-b" and "group,group": mappings declared here, beside the admin's.
PORTICO_OIDC_TEAM_GROUPS = env.dict("PORTICO_OIDC_TEAM_GROUPS", default={})
PORTICO_OIDC_PLATFORM_GROUPS = env.list("PORTICO_OIDC_PLATFORM_GROUPS", default=[])
# Local passwords: on for `make run` and small installs; off leaves them to the named break-glass accounts.
PORTICO_PASSWORD_LOGIN = env.bool("PORTICO_PASSWORD_LOGIN", default=True)
PORTICO_BREAK_GLASS_USERS = env.list("PORTICO_BREAK_GLASS_USERS", default=[])

# Called with (user, token) after an API token authenticated (core.signin): single sign-on re-checks the groups.
PORTICO_TOKEN_CHECKS = ["sso.authentication.check_token"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "routes:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
# PORTICO_STATIC_MANIFEST (set in the Dockerfile, after collectstatic): hashed, compressed file names that
# whitenoise serves with far-future caching. Off by default, so make run and the tests serve static/ as it is.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("PORTICO_STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SECURE = env("PORTICO_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.errors.AlwaysSafeExceptionReporterFilter"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts only from our own origin: htmx is vendored under static/, pages carry no inline script and no hx-on
# handlers, and htmx's eval is switched off in base.html. Inline *styles* stay allowed because the admin and
# Swagger UI set style attributes; a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "core.signin.ThrottledTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user when signed in, per client address otherwise. Counters live in the default cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": env("PORTICO_API_THROTTLE"), "anon": "60/minute"},
    # The client address is REMOTE_ADDR unless proxies are declared (core.signin.client_address): without
    # this DRF would take any X-Forwarded-For a client sends, and a new value would be a new address.
    "NUM_PROXIES": env("PORTICO_TRUSTED_PROXIES"),
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portico API",
    "DESCRIPTION": "Request, review and follow Kubernetes routes (host + path -> Service, with TLS).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A route's approval never reads "superseded"; a revision's may.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalEnum": "routes.choices.ROUTE_APPROVAL_CHOICES",
        "RevisionApprovalEnum": "routes.choices.ApprovalChoices",
    },
}

# Celery: the database is the source of truth, the broker only a wake-up call.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Keep settings.LOGGING (JSON lines with task/route/cluster ids) in workers instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PORTICO_SYNC_INTERVAL = env("PORTICO_SYNC_INTERVAL")
# Quiet syncs (docs/architecture.md): a sync watches what it listed, and the next one does nothing while no watch
# fired and no row it read changed, for at most PORTICO_SYNC_RESYNC seconds.
PORTICO_SYNC_WATCH = env("PORTICO_SYNC_WATCH")
PORTICO_SYNC_RESYNC = env("PORTICO_SYNC_RESYNC")
PORTICO_PROBE_INTERVAL = env("PORTICO_PROBE_INTERVAL")
PORTICO_KUBE_QPS = env("PORTICO_KUBE_QPS")
PORTICO_KUBE_BURST = env("PORTICO_KUBE_BURST")
PORTICO_KUBE_TIMEOUT = env("PORTICO_KUBE_TIMEOUT")
PORTICO_RECONCILE_MAX_RETRIES = env("PORTICO_RECONCILE_MAX_RETRIES")
PORTICO_DIRECTORY_ROOT = Path(env.str("PORTICO_DIRECTORY_ROOT", default=str(VAR_DIR / "clusters")))
# Worker processes serve their task metrics here (0: off); the web process serves /metrics itself.
PORTICO_WORKER_METRICS_PORT = env("PORTICO_WORKER_METRICS_PORT")
PORTICO_WORKER_METRICS_ADDR = env.str("PORTICO_WORKER_METRICS_ADDR", default="0.0.0.0")
PORTICO_METRICS_TOKEN = env("PORTICO_METRICS_TOKEN")

# Notifications (notifications/delivery.py, docs/notifications.md): e-mail through Django's mail backend, from
# EMAIL_URL (smtp://user:password@host:587 with smtp+tls://, smtps://, consolemail://, dummymail://, ...),
# and team webhooks. PORTICO_BASE_URL makes the links in messages absolute.
_EMAIL = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _EMAIL.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_EMAIL.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_EMAIL.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portico <portico@localhost>")
PORTICO_BASE_URL = env.str("PORTICO_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
PORTICO_NOTIFY_TIMEOUT = env("PORTICO_NOTIFY_TIMEOUT")
PORTICO_NOTIFY_MAX_ATTEMPTS = env("PORTICO_NOTIFY_MAX_ATTEMPTS")
# Webhooks go to public addresses only unless this allows loopback, link-local and private ones
# (core/outbound.py, docs/security.md "Outbound requests").
PORTICO_ALLOW_PRIVATE_WEBHOOKS = env("PORTICO_ALLOW_PRIVATE_WEBHOOKS")

# A route Progressing longer than this many seconds is Degraded, with the reason (routes.progress).
PORTICO_PROGRESS_DEADLINE = env("PORTICO_PROGRESS_DEADLINE")
# The reachability check (routes.reachability, docs/reachability.md): after each apply and every
# PORTICO_REACHABILITY_INTERVAL seconds (0: only after applies), from the worker's network.
PORTICO_REACHABILITY_INTERVAL = env("PORTICO_REACHABILITY_INTERVAL")
PORTICO_REACHABILITY_TIMEOUT = env("PORTICO_REACHABILITY_TIMEOUT")
# Seconds after an apply (waiting while the route is Progressing); 0 turns the check after an apply off.
PORTICO_REACHABILITY_AFTER_APPLY = env("PORTICO_REACHABILITY_AFTER_APPLY")
PORTICO_REACHABILITY_ALLOW_PRIVATE = env("PORTICO_REACHABILITY_ALLOW_PRIVATE")
PORTICO_REACHABILITY_HTTPS_PORT = env("PORTICO_REACHABILITY_HTTPS_PORT")
PORTICO_REACHABILITY_HTTP_PORT = env("PORTICO_REACHABILITY_HTTP_PORT")
PORTICO_REACHABILITY_CA_FILE = env("PORTICO_REACHABILITY_CA_FILE")
# "host=address" pairs, comma-separated, like curl --resolve: names the check resolves without DNS.
PORTICO_REACHABILITY_RESOLVE = env.list("PORTICO_REACHABILITY_RESOLVE", default=[])
EMAIL_TIMEOUT = PORTICO_NOTIFY_TIMEOUT

# JSON lines in production (one object per line, with request/task/route/cluster ids); plain text with DEBUG.
LOG_FORMAT = env.str("PORTICO_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("PORTICO_LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s%(task_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(route_id)s "
            "%(cluster_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "kubernetes": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "aiohttp.access": {"level": "WARNING"},
    },
}
