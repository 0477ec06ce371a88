# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages: the PDF fonts (Noto Serif CJK for titles and body, Noto Sans
# CJK for 黑体 headings, AR PL UKai for 楷体 headings) and fast font subsetting;
# Chromium for the browser tests; poppler-utils (pdftotext/pdffonts) for checking PDFs.
RUN_PACKAGES := fonts-noto-cjk fonts-arphic-ukai libharfbuzz-subset0
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils
PYTEST_WORKERS ?= 2
# `make run` is a first look on this machine over plain HTTP, with DEBUG off like
# production (the product's own 403/404/500 pages, WhiteNoise serving the
# collected static files) unless asked: `make run DEBUG=true`. The secret key is
# made once per checkout in var/ (not in git).
DEBUG ?= false
PORT ?= 8000
RUN_ENV = DEBUG=$(DEBUG) SECRET_KEY=$$(cat var/secret_key) ALLOWED_HOSTS=127.0.0.1,localhost \
	SECURE_SSL_REDIRECT=false SECURE_COOKIES=false SECURE_HSTS_SECONDS=0

.PHONY: run test venv lint typecheck messages bench bench-pages clean-db

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "warning: please install these Debian packages:$$missing"; fi; \
	fi
endef

run: venv
	$(call apt_install,$(RUN_PACKAGES))
	@mkdir -p var && test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	$(RUN_ENV) $(PY) manage.py migrate --no-input -v 0
	$(RUN_ENV) $(PY) manage.py collectstatic --no-input -v 0
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py load_campaign fixtures/demo/minghu.json --root MH --today-in-phase 2
	$(RUN_ENV) $(PY) manage.py seed_plans --root MH
	$(RUN_ENV) $(PY) manage.py seed_pledges --root MH
	$(RUN_ENV) $(PY) manage.py seed_reviews --root MH
	$(RUN_ENV) $(PY) manage.py seed_spotchecks --root MH
	$(RUN_ENV) $(PY) manage.py seed_bulletins --root MH
	$(RUN_ENV) $(PY) manage.py seed_surveys --root MH
	$(RUN_ENV) $(PY) manage.py seed_rectifications --root MH
	$(RUN_ENV) $(PY) manage.py seed_awards --root MH
	@echo "打开 http://127.0.0.1:$(PORT)/ 用上面的演示账号登录"
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: venv
	$(call apt_install,$(TEST_PACKAGES))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy config core orgs campaign pledges reviews awards
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy config core orgs campaign pledges reviews awards

messages: venv
	$(PY) manage.py makemessages -l en --no-obsolete
	$(PY) manage.py compilemessages -l en

bench: venv
	$(PY) benchmarks/import_district.py
	$(PY) benchmarks/pdf_documents.py

# Issue 9 §7: the office's pages and the member import at district and city
# size (PostgreSQL on BENCH_PG_URL; wrk from Debian drives the load).
bench-pages: venv
	$(call apt_install,wrk)
	$(PY) benchmarks/pages.py
	$(PY) benchmarks/member_import.py

clean-db:
	rm -f db.sqlite3
