#!/usr/bin/env bash
# Installs the Debian packages certhall needs to build, run and test, and
# only those that are missing: quick when everything is there.
set -euo pipefail

packages=(
    # build: the module against Debian's nginx, the back office (libcurl:
    # its commands' HTTPS requests to the SMS gateway and the tax platform)
    gcc make nginx nginx-dev libpcre2-dev libssl-dev zlib1g-dev libpq-dev procps
    libcurl4-openssl-dev
    # the e-invoice request and answer (lib/ch_einvoice_xml.c)
    libxml2-dev
    # uploads: decoding scans to check them (JPEG, PNG; PDF streams: zlib)
    libjpeg62-turbo-dev libpng-dev
    # ... and the JPEG 2000 images inside PDFs (OpenJPEG 2.5: 977 kB
    # installed, libopenjp2-7 itself comes with ghostscript; about 5 s)
    libopenjp2-7-dev
    # run: the database, the back office's FastCGI wrapper
    postgresql-15 fcgiwrap spawn-fcgi openssl
    # test: unit tests, SQL tests, the Test::Nginx runner, fuzzing
    libcmocka-dev postgresql-15-pgtap clang libclang-rt-14-dev
    libtest-base-perl libtext-diff-perl libtest-longstring-perl
    libipc-run-perl liburi-perl liblist-moreutils-perl
    libwww-perl libhttp-message-perl libio-socket-ssl-perl libhttp-daemon-perl curl valgrind
    # the suites' own SQL (t/lib/Certhall/Test.pm's sql): one connection,
    # not a psql a statement
    libdbd-pg-perl
    # the Alipay gateway double (t/bin/alipay-gateway): RSA2 signatures
    libcrypt-openssl-rsa-perl
    # the tax-platform double (t/bin/tax-platform): xmllint checks what it
    # receives against schema/fpkj.xsd
    libxml2-utils
    # bench: the HTTP load generator (pgbench comes with PostgreSQL); djpeg,
    # the reference cost of decoding a JPEG
    wrk libjpeg-turbo-progs netpbm  # netpbm: pngtopam, the PNG decoding reference
    # the producer corpus (t/bin/mk-producer-corpus, t/tools/producers.t):
    # the software applicants' scans come from, writing its own files at
    # test time (cjpeg is libjpeg-turbo-progs, above)
    ghostscript img2pdf mupdf-tools python3-fitz python3-pil python3-reportlab
    qpdf libtiff-tools imagemagick
    # the browser tests (t/browser): Debian's Chromium, never a downloaded
    # one (chromium 290 MB + chromium-common 66 MB installed, plus the
    # libraries it needs), a CJK font for the screenshots (fonts-noto-cjk,
    # 91 MB; those three: 24 s to download and install here), and node
    # for puppeteer-core and axe-core (npm ci: 7-13 s, 37 MB)
    chromium fonts-noto-cjk nodejs
)

ROOT=$(cd "$(dirname "$0")/.." && pwd)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
# npm: Debian's package, unless the nodejs installed brings its own
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "deps: missing ${missing[*]}: run as root" >&2; exit 1; }

    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the browser tests' npm packages, exactly as t/browser/package-lock.json
# locks them (npm ci; again only when the lock changed)
lock=$ROOT/t/browser/package-lock.json
stamp=$ROOT/t/browser/node_modules/.certhall-lock
if [ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum <"$lock")" ]; then
    echo "deps: npm ci in t/browser"
    (cd "$ROOT/t/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    sha256sum <"$lock" >"$stamp"
fi
