#!/usr/bin/env bash
# Install the Debian packages the real-tool tests need, only when missing:
#   chromium        headless browser for Playwright (SCORM/axe tests) and DAISY Ace
#   poppler-utils   pdftoppm/pdftotext/pdfinfo for PDF tests
#   a Java runtime  for EPUBCheck (only if `java` is not on PATH)
#   calibre         ebook-convert / ebook-meta: the EPUB converted for Kindle (AZW3), as
#                   readers' libraries do (about 100 MB to download, 400 MB installed,
#                   40 s to install)
# Idempotent and fast (<1 s) when everything is present. Never fails the build:
# without root (or without apt-get) it says what is missing and exits 0; the
# tests that need a missing tool then fail with their own clear message.
set -euo pipefail

log() { printf 'setup-system: %s\n' "$*"; }

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)  # the test harness uses this path
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v ebook-convert >/dev/null 2>&1 || missing+=(calibre)

if [[ ${#missing[@]} -eq 0 ]]; then
    log "all system packages present (chromium, poppler-utils, java, calibre)"
    exit 0
fi

log "missing: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    log "not root: cannot install. Run as root: bash tools/setup-system.sh"
    log "  (or: sudo apt-get install -y --no-install-recommends ${missing[*]})"
    log "continuing; tests that need these tools will fail with a clear reason"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not available: install ${missing[*]} with this system's package manager"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# slim images lack this dir and the JRE's postinst then fails (update-alternatives man link)
mkdir -p /usr/share/man/man1
log "apt-get update"
if ! apt-get update -qq; then
    log "WARNING: apt-get update failed; tests that need ${missing[*]} will fail"
    exit 0
fi
log "apt-get install -y --no-install-recommends ${missing[*]}"
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    log "WARNING: apt-get install failed; tests that need ${missing[*]} will fail"
    exit 0
fi
log "installed: ${missing[*]}"
