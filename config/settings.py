"""Settings for the 创先争优 campaign system, read from the environment.

Development needs nothing set: SQLite in the project folder, tasks run inline.
Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS and
DEBUG=false (see docs/operations.md and .env.example).
"""

from pathlib import Path

import csp.constants
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mptt",
    "import_export",
    "core",
    "orgs",
    "campaign",
    "pledges",
    "reviews",
    "awards",
]

MIDDLEWARE = [
    "core.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SessionIdleMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "orgs.middleware.GrantsPerRequestMiddleware",
    "core.middleware.TodoBadgeMiddleware",
    "core.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.site",
                "orgs.context_processors.nav",
                "core.context_processors.menu_counts",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An OLTP application: PostgreSQL's JIT compiled the tree query because its
    # cost estimate is large, 390 ms of 476 ms (issue 9). Off for every
    # connection this application opens (web and jobs); PG_JIT=true turns it on.
    if not env_bool("PG_JIT", False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache (Redis with CACHE_URL) holds nothing another process depends on:
# the login throttle counts failures in the database (core.models.LoginFailure).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates follow the page's language (templates use DATE_FORMAT / SHORT_DATE_FORMAT /
# SHORT_DATETIME_FORMAT, never a fixed pattern); Chinese tables keep 2011-06-30.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")) or "")
# Uploaded and generated files (imports, job files, attachments, photos) must be
# on storage every web and worker process reaches: MEDIA_ROOT on a shared volume
# (the default), or an S3-compatible bucket (MinIO, a cloud object store) through
# django-storages when S3_BUCKET is set. The bucket stays private: files are
# read by the app and streamed through its permission-checked views.
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    DEFAULT_STORAGE: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX", "") or "",
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,
            "file_overwrite": False,  # two uploads of one name keep both
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")) or "")

# Background jobs. Without a broker, tasks run inline in the request that
# queues them (development and the SQLite test run).
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
# Without a broker nothing may leave the process (Celery's default is AMQP on localhost).
# Eager tasks still take a producer from the pool (Celery 5.7 serialises their
# arguments through it), so the in-process transport is named: a bare "memory://"
# makes kombu warn "No hostname was supplied" on every job.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "memory://localhost/"
# The queue web processes send to and workers read (`-Q` overrides it for a
# worker): two deployments sharing one Redis database keep apart by name.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "celery"
# Workers log through LOGGING below (LOG_FORMAT), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Each worker's main process writes its sign of life this often (core.health);
# /healthz/ reports the workers down when none wrote for WORKER_STALE_SECONDS.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30, minimum=1)
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 120, minimum=5)
# How long /healthz/ waits for Redis before reporting it unreachable.
HEALTH_TIMEOUT_SECONDS = env_int("HEALTH_TIMEOUT_SECONDS", 2, minimum=1)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800, minimum=60)
# The soft limit raises inside the job, which then ends 失败 with a message; the
# hard limit (kill) is for a job that does not stop.
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# A job is tried at most this many times (deliveries after a lost worker included);
# then it ends 失败 with the reason.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)
# A running job writes a heartbeat this often (PostgreSQL: from a thread with its
# own connection) and counts as lost when none came for JOB_LOST_AFTER_SECONDS.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 15, minimum=1)
JOB_LOST_AFTER_SECONDS = env_int("JOB_LOST_AFTER_SECONDS", 60, minimum=5)
# Beat queues the sweeper this often, so a lost job is taken over within about
# JOB_LOST_AFTER_SECONDS + JOB_SWEEP_SECONDS of its last heartbeat; a sweep not
# picked up before the next one is due expires instead of piling up.
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 15, minimum=5)
# WeasyPrint keeps what it grew to; a worker child past this (in KB) is replaced
# after its task, so one large document does not leave a process at 600 MB.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", 600_000, minimum=100_000
)
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 1}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {
        "task": "core.tasks.sweep_jobs",
        "schedule": float(JOB_SWEEP_SECONDS),
        "options": {"expires": JOB_SWEEP_SECONDS},
    },
    # 整改: flag overdue items once a day, just after midnight in CELERY_TIMEZONE.
    "flag-overdue-rectifications": {
        "task": "reviews.tasks.flag_overdue_rectifications",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 3600},
    },
    # 群众评议: web answers into the dashboard's stored 满意率 counts (a minute late).
    "fold-survey-figures": {
        "task": "reviews.tasks.fold_survey_figures",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Deadline reminders (core.reminders), each once per user and deadline.
    "send-reminders": {
        "task": "core.tasks.send_reminders",
        "schedule": crontab(hour=8, minute=0),
        "options": {"expires": 3600},
    },
}

# Imports: uploads larger than this are refused before they are parsed.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000, minimum=10)
# Columns an import sheet may use: the templates have at most 15, and a sheet is
# parsed as one block up to its farthest cell, so the block is capped before parsing.
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50, minimum=5)
# XLS and ODS files are parsed in a child process limited to this address space
# and CPU time (core/tabular_child.py): their parser trusts the extent the file
# declares. 200 MB reads an .xls of 65,536 rows × 9 columns (97 MB) and an .ods of
# about 130,000 such rows; a larger file is refused with a message to save it
# as .xlsx or .csv.
IMPORT_PARSER_MEMORY_MB = env_int("IMPORT_PARSER_MEMORY_MB", 200, minimum=64)
IMPORT_PARSER_SECONDS = env_int("IMPORT_PARSER_SECONDS", 60, minimum=5)

# Reverse proxies in front of the app that append the client to X-Forwarded-For
# (1 behind nginx); rate limits key on the address they report. 0: no proxy.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0, minimum=0)
# 群众监督: comments per visitor address within the window, before the board refuses more.
PLEDGE_COMMENT_LIMIT = env_int("PLEDGE_COMMENT_LIMIT", 3, minimum=1)
PLEDGE_COMMENT_WINDOW_SECONDS = env_int("PLEDGE_COMMENT_WINDOW_SECONDS", 600, minimum=1)
# 公示 objections (评选表彰): per visitor address, in a sliding window.
AWARD_OBJECTION_LIMIT = env_int("AWARD_OBJECTION_LIMIT", 3, minimum=1)
AWARD_OBJECTION_WINDOW_SECONDS = env_int("AWARD_OBJECTION_WINDOW_SECONDS", 600, minimum=1)
# 群众评议: wrong codes per visitor address within the window before the answer
# page refuses more tries (a flood of guesses is throttled; see reviews.surveys).
SURVEY_CODE_FAILURE_LIMIT = env_int("SURVEY_CODE_FAILURE_LIMIT", 10, minimum=1)
SURVEY_CODE_WINDOW_SECONDS = env_int("SURVEY_CODE_WINDOW_SECONDS", 900, minimum=1)
# 为全部评议对象发放: codes in one job at most (one transaction; ~200 slips/s laid
# out, so 100,000 slips take ~8 minutes of one worker).
SURVEY_BULK_CODES_MAX = env_int("SURVEY_BULK_CODES_MAX", 100_000, minimum=1)
# The address printed on posters (QR codes) for the public pledge board.
PUBLIC_BASE_URL: str = (env_str("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")

# A 承诺汇总表 over more published pledges than this is cut into parts (a ZIP of PDFs),
# so one render stays within ~10 s and ~400 MB: 1,000 pledges measured 8–10 s,
# 384–400 MB on 2 cores (benchmarks/pdf_documents.py).
PDF_SUMMARY_MAX_PLEDGES = env_int("PDF_SUMMARY_MAX_PLEDGES", 1000, minimum=10)
# 讲评报告 in one ZIP job at most (reviews.documents.run_reports_zip): a 10-member
# branch's report measured 0.9 s and a 62-member one 2.3 s (load 6 on 2 cores), so
# 500 stay well inside the task's time limit; a larger subtree goes child by child.
REVIEW_REPORTS_MAX_FILES = env_int("REVIEW_REPORTS_MAX_FILES", 500, minimum=1)
# Opening a round writes one review per subject: up to this many the page does it
# at once, beyond it a job does (reviews.jobs.run_open). The district's 75,000
# members took 11.6 s inline (benchmarks/review_rounds.py), so 5,000 is about 0.8 s.
REVIEW_OPEN_INLINE_MAX = env_int("REVIEW_OPEN_INLINE_MAX", 5000, minimum=0)

# PDF font families, one per role GB/T 9704 gives a typeface: title 小标宋, body 仿宋,
# 一级标题 黑体, 二级标题 楷体. The defaults are the free fonts the Makefile and the
# Dockerfile install; Debian packages no 仿宋 that covers simplified Chinese, so the
# body falls back to the serif. A deployment that has licensed 方正小标宋简体 /
# 仿宋_GB2312 / 黑体 / 楷体_GB2312 installs them and names them here.
PDF_TITLE_FONT: str = env_str("PDF_TITLE_FONT") or "Noto Serif CJK SC"
PDF_BODY_FONT: str = env_str("PDF_BODY_FONT") or "Noto Serif CJK SC"
PDF_HEADING_FONT: str = env_str("PDF_HEADING_FONT") or "Noto Sans CJK SC"
PDF_SUBHEADING_FONT: str = env_str("PDF_SUBHEADING_FONT") or "AR PL UKai CN"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
# Office PCs are shared: a session ends when the browser closes, or after a
# working day without a request (a request restarts the clock, at most once every
# SESSION_TOUCH_SECONDS: core.middleware.SessionIdleMiddleware, not a session
# write on every request).
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600, minimum=300)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "core.sessions"
SESSION_TOUCH_SECONDS = env_int("SESSION_TOUCH_SECONDS", 60, minimum=0)
# Content-Security-Policy (django-csp): scripts only from our own static files,
# nothing framed, posted or fetched elsewhere. Styles allow inline attributes:
# progress bars set their widths inline and htmx adds its indicator style; a
# style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF, csp.constants.UNSAFE_INLINE],
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.SELF],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    # SECURE_COOKIES=false only for a look over plain HTTP on this machine
    # (`make run`); check --deploy warns about it, as it should.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer checks the web processes over plain HTTP, behind the TLS proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# LOG_FORMAT=json: one JSON object a line (core.logs.JsonFormatter) with the
# request id, user id, path, status and duration of each request
# (core.logs.RequestLogMiddleware) and the id, kind and state of each job;
# text (the default): the same records as readable lines.
LOG_FORMAT = (env_str("LOG_FORMAT") or "text").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"()": "core.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step (and parses its own stylesheets on import) at INFO.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

SITE_TITLE: str = env_str("SITE_TITLE") or "创先争优活动管理系统"

# Outbound channels (core.channels): e-mail through Django's mail, SMS through
# SMS_BACKEND (a dotted path to a core.channels.SMSBackend; the default only
# logs). Development prints mail to the console; tests use locmem.
EMAIL_BACKEND: str = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST: str = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER: str = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD: str = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL: str = env_str("DEFAULT_FROM_EMAIL") or "webmaster@localhost"
SMS_BACKEND: str = env_str("SMS_BACKEND") or "core.channels.LoggingSMSBackend"
# The menu's 待办 figure is kept this long per user (core.todo.badge_total);
# the home page and the user's own writes count it afresh.
TODO_BADGE_SECONDS = env_int("TODO_BADGE_SECONDS", 60)
NOTIFY_CHANNELS = env_list("NOTIFY_CHANNELS", ["email", "sms"])
if set(NOTIFY_CHANNELS) - {"email", "sms"}:
    raise ImproperlyConfigured("NOTIFY_CHANNELS takes only email and sms")
# Deadline reminders (core.reminders) go out this many days before a deadline
# (and once more when a 整改 item is overdue).
REMINDER_LEAD_DAYS = env_int("REMINDER_LEAD_DAYS", 3, minimum=0)
# The office of an award round in 公示 is reminded this many days before its
# last day (awards.publicity_ending; 0: on the last day itself).
AWARD_PUBLICITY_REMINDER_DAYS = env_int("AWARD_PUBLICITY_REMINDER_DAYS", 2, minimum=0)
