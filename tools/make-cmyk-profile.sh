#!/usr/bin/env bash
# Make the print edition's CMYK output-intent profile (src/cxbook/renderers/print_assets/
# cxbook-FOGRA39.icc) from the FOGRA39L characterization data that Debian's
# icc-profiles-free ships (Zlib licence), with ArgyllCMS's colprof (Debian: argyll).
#   apt-get install icc-profiles-free argyll && bash tools/make-cmyk-profile.sh
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
(cd "$work" && colprof -v -qm -kr -D "cxbook FOGRA39 (coated offset, ISO 12647-2)" \
  -C "Made with ArgyllCMS colprof from the FOGRA39L characterization data (icc-profiles-free, Zlib licence)" \
  FOGRA39L)
cp "$work/FOGRA39L.icc" "$(dirname "$0")/../src/cxbook/renderers/print_assets/cxbook-FOGRA39.icc"
