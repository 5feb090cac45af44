#!/usr/bin/env bash
# Installs the Debian packages the tests, the PDF volumes and the browser checks need, when
# they are missing. The Makefile calls it through a stamp file (so it costs nothing once done)
# and .ci/run relies on `make test` calling it; there is no second copy of this list.
#   chromium        headless browser for the Playwright tests and the search benchmark
#   fonts-noto-cjk  the CJK font WeasyPrint embeds in the PDF volumes
#   poppler-utils   pdftotext / pdfinfo, which the PDF tests read the volumes with
#   default-jre-headless  Java for the Nu Html Checker (npm vnu-jar) in tests/test_accessibility.py;
#                   any installed java will do (GitHub's runners have one)
# Exit 0 when everything is present (or was installed); exit 1 with the exact command to run
# when packages are missing and this is not root.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
# (not `fc-list | grep -q`: with pipefail, grep closing the pipe early fails the test)
fonts=$(fc-list : family 2>/dev/null || true)
[[ "$fonts" == *"Noto Sans CJK"* ]] || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
  echo "系统软件包已齐全（chromium、fonts-noto-cjk、poppler-utils、Java）。"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包：${missing[*]}。请先运行：" >&2
  echo "Missing system packages: ${missing[*]}. Please run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "正在安装系统软件包：${missing[*]}（首次运行，约需几分钟）……"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "已安装：${missing[*]}。"
