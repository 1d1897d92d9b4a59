# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
DOMAINS := core suppliers catalog registry market devices payments orders complaints reports
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_WORKERS ?= 2

.PHONY: install run test lint translations extract-messages check-migrations clean bench

$(BIN)/activate: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip "setuptools>=81"
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate translations  ## virtual environment, dependencies, compiled translations

translations: $(BIN)/activate
	@for d in $(DOMAINS); do \
	  if [ -f translations/en/LC_MESSAGES/$$d.po ]; then \
	    $(BIN)/pybabel compile -d translations -D $$d -l en >/dev/null || exit 1; fi; done

# Extract each package's messages into its own domain and merge them into the English catalogue.
extract-messages: $(BIN)/activate
	@for d in $(DOMAINS); do \
	  src="$$d"; if [ -d templates/$$d ]; then src="$$src templates/$$d"; fi; \
	  if [ $$d = core ]; then src="core wsgi.py templates/base.html templates/_macros templates/errors templates/core"; fi; \
	  $(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o translations/$$d.pot $$src >/dev/null 2>&1 || exit 1; \
	  if [ -f translations/en/LC_MESSAGES/$$d.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -i translations/$$d.pot -d translations -D $$d -l en >/dev/null; \
	  else $(BIN)/pybabel init -i translations/$$d.pot -d translations -D $$d -l en >/dev/null; fi; \
	  rm -f translations/$$d.pot; done

instance/.migrated: $(BIN)/activate $(wildcard migrations/versions/*.py)
	mkdir -p instance
	$(FLASK) db upgrade
	@if [ "$$($(FLASK) seed-demo --if-empty)" != "skipped" ]; then echo "demo data loaded"; fi
	-$(FLASK) search reindex 2>/dev/null
	touch instance/.migrated

run: install instance/.migrated  ## migrate, load demo data when empty, serve on http://127.0.0.1:5000
	$(FLASK) run --host $(HOST) --port $(PORT) --with-threads

test: install  ## the whole suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/activate
	$(BIN)/ruff check .

bench: install
	@for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance/*.sqlite3* instance/search-index instance/.migrated
