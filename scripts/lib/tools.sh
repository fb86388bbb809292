# Installs the test tools, idempotently and quietly. Source common.sh first.
# shellcheck shell=bash

PYTHON_TEST_PACKAGES=(websockets==17.4 pytest==9.2.0 jsonschema==4.26.0 pyyaml==6.0.4 selenium==4.51.0 kubernetes==37.0.3)
AUTOBAHN_VERSION=25.10.1

# ensure_python_venv: .venv with the Python packages the e2e tests and check scripts use.
ensure_python_venv() {
    local stamp="$KUBEGALE_VENV/.kubegale-packages"
    local want="${PYTHON_TEST_PACKAGES[*]}"
    if [[ -x $KUBEGALE_VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        log "python venv: $KUBEGALE_VENV is ready ($("$KUBEGALE_VENV/bin/python" --version))"
        return 0
    fi
    log "python venv: creating $KUBEGALE_VENV with ${PYTHON_TEST_PACKAGES[*]}"
    python3 -m venv "$KUBEGALE_VENV"
    "$KUBEGALE_VENV/bin/pip" install --quiet --disable-pip-version-check "${PYTHON_TEST_PACKAGES[@]}"
    printf '%s' "$want" >"$stamp"
}

# find_python2: the Python 2.7 that ships with the machine image under pyenv.
find_python2() {
    local candidate
    for candidate in \
        "$(pyenv root 2>/dev/null)/versions/2.7.18/bin/python2.7" \
        "$HOME/.pyenv/versions/2.7.18/bin/python2.7" \
        "$(command -v python2.7 || true)"; do
        if [[ -n $candidate && -x $candidate ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_autobahn: Autobahn|Testsuite (Python 2 only) in its own virtualenv, following
# ../shared/tools/README.md; the pins live in scripts/autobahn-py2-requirements.txt.
ensure_autobahn() {
    local dir="$KUBEGALE_TOOLS_DIR/autobahn"
    local requirements=scripts/autobahn-py2-requirements.txt
    local stamp="$dir/.installed"
    local want
    want="$AUTOBAHN_VERSION $(cksum <"$requirements")"
    if [[ -x $dir/venv/bin/wstest && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        log "autobahn: $dir/venv/bin/wstest is ready"
        return 0
    fi
    local py2
    py2=$(find_python2) || die "Python 2.7 not found (Autobahn|Testsuite needs it; see scripts/lib/tools.sh)"
    log "autobahn: installing autobahntestsuite==$AUTOBAHN_VERSION with $py2 into $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    # pip on Python 2 prints a deprecation banner on every call; the venv's pip (20.3) can be
    # told not to, the interpreter's own may be older.
    "$py2" -m pip install --quiet --disable-pip-version-check --target "$dir/py2tools" "virtualenv<20.22" \
        2> >(grep -v -e DEPRECATION -e '^$' >&2)
    PYTHONPATH="$dir/py2tools" "$py2" -m virtualenv --quiet "$dir/venv" >/dev/null
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --no-python-version-warning \
        -r "$requirements" "autobahntestsuite==$AUTOBAHN_VERSION"
    "$dir/venv/bin/wstest" --help >/dev/null
    printf '%s' "$want" >"$stamp"
}

# ensure_debian_packages PACKAGE...: installs the Debian packages that are missing (as root, or
# through sudo), running `apt-get update` first when something is to be installed.
ensure_debian_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        log "debian packages: $* installed"
        return 0
    fi
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    log "debian packages: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_browser_tools: headless Chromium with its driver and a font for the browser tests, and
# Debian's node-xterm, which the console's terminal is made from, and tsc (node-typescript), which
# compiles the JavaScript client's TypeScript declarations in its tests.
ensure_browser_tools() {
    ensure_debian_packages chromium chromium-driver fonts-dejavu-core node-xterm node-typescript
    command -v node >/dev/null || ensure_debian_packages nodejs
}
