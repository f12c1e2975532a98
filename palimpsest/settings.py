"""Django settings. Everything that differs between machines comes from the environment.

Embedded defaults (no variables set) give a single-machine install: SQLite and
Celery's filesystem transport under ``var/``. With ``DATABASE_URL`` and
``REDIS_URL`` set, PostgreSQL and Redis are used, as in CI and deployments.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PALIMPSEST_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
# A secret is required outside DEBUG; the development fallback is never used in production.
SECRET_KEY = os.environ.get("SECRET_KEY") or ("insecure-dev-key-only-for-debug" if DEBUG else "")
if not SECRET_KEY:
    # Generated per var/ directory so a local install works without committing a secret.
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        SECRET_KEY = key_file.read_text().strip()
    else:
        import secrets

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = secrets.token_urlsafe(50)
        key_file.write_text(SECRET_KEY)

# Behind HTTPS (documented in docs/deploy.md): SECURE_HTTPS=1 turns on HSTS, the redirect to https and
# Secure cookies; SECURE_PROXY_SSL_HEADER=1 trusts X-Forwarded-Proto from the reverse proxy.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from this site's files: no inline scripts, no eval (the pages' behaviour lives in static/js).
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY") or (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

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
    "jobs",
    "archive",
    "inscription",
    "exchange",
    "web",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "palimpsest.middleware.SecurityHeadersMiddleware",
    "palimpsest.error_pages.ErrorPagesMiddleware",  # the project's error pages even with DEBUG on
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "palimpsest.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "palimpsest.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "palimpsest.wsgi.application"
ASGI_APPLICATION = "palimpsest.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL")
# Persistent connections on both databases (one per web thread, kept DB_CONN_MAX_AGE seconds): opening a
# connection per request cost 4.5 ms of CPU on SQLite (connect, the PRAGMAs below, close) and a backend
# start-up on PostgreSQL, more than most of this project's requests cost otherwise (bench/request_cost.py).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # PALIMPSEST_DB_NAME lets a test's Celery worker open the test database file.
            "NAME": os.environ.get("PALIMPSEST_DB_NAME") or (VAR_DIR / "palimpsest.sqlite3"),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            # The web server and the worker share this file. WAL lets readers go on while one writer writes;
            # the busy timeout makes a writer wait for the lock instead of failing (writes are kept short:
            # an ingest decodes and stores its files before its transaction).
            "OPTIONS": {
                "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30),
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so a separate worker process sees the test database.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by the web processes (sign-in failure counts): Redis when configured, else files under var/.
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"],
                          "KEY_PREFIX": "palimpsest-cache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(Path(os.environ.get("PALIMPSEST_CACHE_DIR") or VAR_DIR / "cache"))}}
# Sign-in guard (palimpsest.login_guard): this many wrong passwords for one user from one address lock
# that pair out for the window (seconds), whatever the password.
AUTHENTICATION_BACKENDS = ["palimpsest.login_guard.GuardedModelBackend"]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Where model weights and cards live (the model store). The shipped defaults are in the repo.
MODEL_STORE = Path(os.environ.get("MODEL_STORE", VAR_DIR / "models"))

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Upload limits: checked before anything is stored.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 100_000_000)
MAX_ZIP_MEMBERS = env_int("MAX_ZIP_MEMBERS", 5000)
MAX_ZIP_UNCOMPRESSED_BYTES = env_int("MAX_ZIP_UNCOMPRESSED_BYTES", 2 * 1024 * 1024 * 1024)
MAX_ZIP_RATIO = env_int("MAX_ZIP_RATIO", 200)  # per member over 1 MiB, and for the whole archive
# Pixels one upload may decode in all (every TIFF frame, PDF page and zip member together).
MAX_DECODED_PIXELS = env_int("MAX_DECODED_PIXELS", 2_500_000_000)
MAX_PAGES_PER_FILE = env_int("MAX_PAGES_PER_FILE", 2000)  # PDF pages / TIFF frames in one upload
# An ingest request over any of these (its files together) is stored and ingested by an io-queue job (202);
# smaller ones are ingested in the request (docs/ingest.md, archive/ingest/heavy.py).
INGEST_SYNC_MAX_PAGES = env_int("INGEST_SYNC_MAX_PAGES", 20)  # PDF pages, TIFF frames, zip members
INGEST_SYNC_MAX_BYTES = env_int("INGEST_SYNC_MAX_BYTES", 25 * 1024 * 1024)
INGEST_SYNC_MAX_PIXELS = env_int("INGEST_SYNC_MAX_PIXELS", 250_000_000)  # estimated from the headers
# How long a collection export's download link stays valid (seconds); the job's page gives a fresh one.
EXPORT_LINK_SECONDS = env_int("EXPORT_LINK_SECONDS", 24 * 3600)
PDF_RENDER_DPI = env_int("PDF_RENDER_DPI", 150)
# IIIF import fetches only public addresses; hosts or networks listed here (comma-separated, e.g.
# "127.0.0.1,iiif.local,10.0.0.0/8") are allowed too, for a IIIF server on the local network.
IIIF_FETCH_ALLOW = [h.strip() for h in os.environ.get("IIIF_FETCH_ALLOW", "").split(",") if h.strip()]
# Tried in order when a .txt upload is not UTF-8; the one used is recorded on the Text row.
TEXT_FALLBACK_ENCODINGS = tuple(e.strip() for e in os.environ.get("TEXT_FALLBACK_ENCODINGS", "cp1252,latin-1").split(",") if e.strip())

# Search: a machine line also matches a word the recognizer gave at least this probability of being there
# (docs/search.md); words of 1-5 letters need more whatever this says (search.query.ALTERNATIVE_FLOOR).
SEARCH_ALTERNATIVES_THRESHOLD = float(os.environ.get("SEARCH_ALTERNATIVES_THRESHOLD", "0.0002"))
# Counting stops here; past it the first matches found are shown newest first, not ranked (bench/search_bench.py).
SEARCH_COUNT_LIMIT = env_int("SEARCH_COUNT_LIMIT", 1000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "palimpsest.filter_backend.FilterBackend",  # django-filter, skipped when a request has no parameter
        "rest_framework.filters.OrderingFilter",
        "search.filters.ArchiveSearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "palimpsest.api_errors.json_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Palimpsest API",
    "DESCRIPTION": "Holdings, inscriptions, annotations, comparisons, reflections and jobs of the Palimpsest archive.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "palimpsest.schema.add_error_responses"],
    # Several models have a "kind" (and roles appear twice): name each choice set once, so the
    # schema has stable enum names and `spectacular --validate --fail-on-warn` passes.
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "archive.models.DocumentKind",
        "LayerKindEnum": "inscription.models.inscriptions.LayerKind",
        "InscriptionKindEnum": "inscription.models.inscriptions.InscriptionKind",
        "JobKindEnum": "jobs.kinds.choices",  # the registered kinds
        "RoleEnum": "archive.models.Role",
        "PageStateEnum": "archive.models.PageState",
        "JobStateEnum": "jobs.models.JobState",
    },
}

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        # A request must not hang on a broker that is down: fail fast, the job row waits for the sweep.
        "socket_connect_timeout": 3, "socket_timeout": 10,
    }
else:
    # PALIMPSEST_BROKER_DIR: the test suite gives each session its own folder (tests/isolation.py).
    _broker_dir = Path(os.environ.get("PALIMPSEST_BROKER_DIR") or VAR_DIR / "broker")
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        # Broadcast/control messages (remote control, pidbox) live in the broker folder too.
        "control_folder": str(_broker_dir / "control"),
        # The folder is polled; kombu's default of once a second is most of a small job's wall time.
        "polling_interval": float(os.environ.get("CELERY_BROKER_POLL_SECONDS", "0.1")),
    }
# The Job row is the truth; no result backend.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3 * 3600 + 300)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = "io"
# Each queue has its own exchange and key: with bare Queue("gpu") Celery binds both queues to the
# default exchange/key "io", so a gpu task would be delivered to BOTH queues (twice on Redis).
CELERY_TASK_QUEUES = (Queue("gpu", Exchange("gpu"), routing_key="gpu"), Queue("io", Exchange("io"), routing_key="io"))
# Routing is the job-kind registry's (jobs.kinds): each kind names its task and its queue (gpu for model
# work, io for file work); a task that is no kind's goes to the default queue. Workers import every
# kind's task module (jobs/apps.py), so there is no CELERY_IMPORTS list to keep.
CELERY_TASK_ROUTES = ("jobs.kinds.route_task",)
# Job lease: a running job's worker writes a heartbeat; a job whose heartbeat is older than
# JOB_STALE_SECONDS (or whose worker process is gone) may be taken over by another worker.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 10)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 90)
# Every worker sweeps this often (all brokers): running jobs of dead holders and queued jobs whose
# message the broker does not hold are sent again (jobs.dispatch). Off with JOB_RECOVER_ON_START=0.
JOB_RECOVER_ON_START = env_bool("JOB_RECOVER_ON_START", True)
JOB_SWEEP_SECONDS = float(os.environ.get("JOB_SWEEP_SECONDS") or max(1.0, JOB_STALE_SECONDS / 2))
# Each worker's sweeper also deletes orphan blob files older than a day this often (0: only manage.py gc_blobs).
BLOB_GC_SECONDS = env_int("BLOB_GC_SECONDS", 6 * 3600)
# A queued job younger than this is left alone by the sweep (its message is on its way).
JOB_DISPATCH_GRACE_SECONDS = float(os.environ.get("JOB_DISPATCH_GRACE_SECONDS") or 5)
# Publishing a job's message: a short retry, then the request answers and the sweep sends it later.
JOB_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Threads per worker process for torch on CPU, so two workers on one machine do not fight.
WORKER_TORCH_THREADS = env_int("WORKER_TORCH_THREADS", 0)
# glibc malloc keeps large freed blocks for reuse in workers (models_ml.runtime.keep_freed_memory).
WORKER_MALLOC_TUNING = env_bool("WORKER_MALLOC_TUNING", True)
# Worker processes lower their CPU priority to this nice value (never raise it), so a recognition
# job sharing the machine with the web server yields the CPU to curators' requests (0: leave it).
WORKER_NICE = env_int("WORKER_NICE", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
