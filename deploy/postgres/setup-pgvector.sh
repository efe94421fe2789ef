#!/usr/bin/env bash
# Make PostgreSQL + pgvector available for Lore's tests on a Debian machine.
#
# Debian bookworm ships no pgvector package, so this script builds the
# extension from Debian trixie's `pgvector` *source* package against the
# local postgresql-server-dev-$PG_MAJOR, installs it, makes sure the local
# cluster is running, and creates the test database with the extension.
#
# Idempotent: a second run only checks state and prints what it found.
# See deploy/postgres/README.md for details and the production setup.
#
# Environment (all optional):
#   PG_MAJOR      PostgreSQL major version to build for     (default 15)
#   PGHOST        server host                                (default 127.0.0.1)
#   PGPORT        server port                                (default 5432)
#   PGUSER        superuser to connect as                    (default postgres)
#   PG_CLUSTER    Debian cluster name to start if it is down (default main)
#   LORE_TEST_DB  test database to create                    (default lore_test)
#   PG_READY_TIMEOUT  seconds to wait for the server         (default 60)
#   PGVECTOR_FORCE_BUILD=1  rebuild even if pgvector is installed (upgrade)
set -Eeuo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
PG_CLUSTER="${PG_CLUSTER:-main}"
LORE_TEST_DB="${LORE_TEST_DB:-lore_test}"
PG_READY_TIMEOUT="${PG_READY_TIMEOUT:-60}"
PGVECTOR_FORCE_BUILD="${PGVECTOR_FORCE_BUILD:-0}"
export PGHOST PGPORT PGUSER

PG_BINDIR="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BINDIR}/pg_config"
TRIXIE_SOURCE_FILE="/etc/apt/sources.list.d/lore-trixie-src.sources"
export DEBIAN_FRONTEND=noninteractive

STEP="init"
WORKDIR=""
LOG=""

log() { printf '[setup-pgvector] %s\n' "$*"; }
die() {
	printf '[setup-pgvector] ERROR (step: %s): %s\n' "$STEP" "$*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
		if [[ $rc -ne 0 && -s "$LOG" ]]; then
			printf '[setup-pgvector] build directory and full log kept: %s\n' "$LOG" >&2
		else
			rm -rf -- "$WORKDIR"
		fi
	fi
}
on_err() {
	local rc=$? line=$1
	printf '[setup-pgvector] ERROR (step: %s): command failed with exit code %s at line %s\n' \
		"$STEP" "$rc" "$line" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'on_err $LINENO' ERR

# Run a noisy command with its output captured in $LOG; on failure show the
# tail of the log and stop with a message naming the step.
run_quiet() {
	local what=$1
	shift
	if ! "$@" >>"$LOG" 2>&1; then
		printf '[setup-pgvector] ---- last lines of %s ----\n' "$LOG" >&2
		tail -n 40 "$LOG" >&2 || true
		die "$what failed: $*"
	fi
}

# Root runs commands directly; a non-root user needs sudo.
SUDO=()
if [[ $EUID -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		SUDO=(__need_root)
	fi
fi
as_root() {
	if [[ ${SUDO[0]:-} == __need_root ]]; then
		die "this step needs root (run as root or install sudo): $*"
	fi
	"${SUDO[@]}" "$@"
}

psql_q() {
	# psql_q DB [psql args...]; reads SQL from stdin, prints unaligned tuples.
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"
}

is_local_host() {
	case "$PGHOST" in
	127.0.0.1 | localhost | ::1 | /*) return 0 ;;
	*) return 1 ;;
	esac
}

# --------------------------------------------------------------------------
# Step 1: is the extension already available to this PostgreSQL?
# --------------------------------------------------------------------------
STEP="check"
vector_control_path() {
	local sharedir
	if [[ -x "$PG_CONFIG" ]]; then
		sharedir=$("$PG_CONFIG" --sharedir)
	else
		sharedir="/usr/share/postgresql/${PG_MAJOR}"
	fi
	printf '%s/extension/vector.control' "$sharedir"
}
vector_available() {
	local control
	control=$(vector_control_path)
	[[ -f "$control" ]] || return 1
	# The control file alone is not enough: the shared library must be there.
	local pkglibdir="/usr/lib/postgresql/${PG_MAJOR}/lib"
	[[ -x "$PG_CONFIG" ]] && pkglibdir=$("$PG_CONFIG" --pkglibdir)
	[[ -f "$pkglibdir/vector.so" ]]
}

# Debian mirror the machine already uses for its main archive (deb822
# .sources or one-line .list), so the trixie source comes from the same place.
detect_debian_mirror() {
	local codename=$1 f uri=""
	shopt -s nullglob
	for f in /etc/apt/sources.list.d/*.sources; do
		uri=$(awk -v suite="$codename" '
			function flush() {
				if (uris != "" && types ~ /(^|[ \t])deb($|[ \t])/ && (" " suites " ") ~ (" " suite " ")) {
					split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
				}
				types = ""; uris = ""; suites = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:"  { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
			tolower($1) == "uris:"   { sub(/^[^:]*:[ \t]*/, ""); uris = $0 }
			tolower($1) == "suites:" { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
			END { if (!found) flush() }
		' "$f")
		[[ -n "$uri" ]] && break
	done
	if [[ -z "$uri" ]]; then
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[[ -f "$f" ]] || continue
			uri=$(awk -v suite="$codename" '
				$1 != "deb" { next }
				{ i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
				$(i + 1) == suite { print $i; exit }
			' "$f")
			[[ -n "$uri" ]] && break
		done
	fi
	shopt -u nullglob
	printf '%s' "${uri:-http://deb.debian.org/debian}"
}

trixie_src_configured() {
	[[ -f "$TRIXIE_SOURCE_FILE" ]] && return 0
	shopt -s nullglob
	local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
	shopt -u nullglob
	local f
	for f in "${files[@]}"; do
		[[ -f "$f" ]] || continue
		# one-line format: "deb-src [opts] URI trixie main"
		if grep -Eq '^[[:space:]]*deb-src[[:space:]].*[[:space:]]trixie[[:space:]]' "$f"; then
			return 0
		fi
		# deb822 format: a stanza with Types: deb-src and Suites: trixie
		if awk '
			function flush() { if (t && s) { ok = 1 } t = 0; s = 0 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:"  && / deb-src([ \t]|$)/ { t = 1 }
			tolower($1) == "suites:" && / trixie([ \t]|$)/  { s = 1 }
			END { flush(); exit ok ? 0 : 1 }
		' "$f"; then
			return 0
		fi
	done
	return 1
}

if [[ "$PGVECTOR_FORCE_BUILD" != 1 ]] && vector_available; then
	log "build: skipped (pgvector already installed: $(vector_control_path))"
else
	STEP="prepare build"
	if [[ "$PGVECTOR_FORCE_BUILD" == 1 ]]; then
		log "build: PGVECTOR_FORCE_BUILD=1; rebuilding pgvector for PostgreSQL ${PG_MAJOR}"
	else
		log "build: pgvector not found for PostgreSQL ${PG_MAJOR} ($(vector_control_path)); building it"
	fi
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian/Ubuntu only"
	if [[ ${SUDO[0]:-} == __need_root ]]; then
		die "building pgvector needs root: run this script as root, or install sudo"
	fi
	WORKDIR=$(mktemp -d /tmp/lore-pgvector.XXXXXX)
	LOG="$WORKDIR/setup.log"
	: >"$LOG"
	APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 --no-install-recommends)

	# ----------------------------------------------------------------------
	# Step 2: deb-src (source only, never binaries) for Debian trixie, added
	# before the single apt-get update so one update covers everything.
	# ----------------------------------------------------------------------
	STEP="add trixie deb-src"
	if trixie_src_configured; then
		log "apt: trixie deb-src already configured (skipped)"
	else
		# shellcheck disable=SC1091
		codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
		mirror=$(detect_debian_mirror "$codename")
		keyring=/usr/share/keyrings/debian-archive-keyring.gpg
		[[ -f "$keyring" ]] || die "$keyring missing (apt-get install debian-archive-keyring)"
		as_root tee "$TRIXIE_SOURCE_FILE" >/dev/null <<EOF
# Added by Lore's deploy/postgres/setup-pgvector.sh: source packages only
# (Types: deb-src), used to build pgvector, which bookworm does not ship.
# No trixie binary package can be installed from this entry.
Types: deb-src
URIs: ${mirror}
Suites: trixie
Components: main
Signed-By: ${keyring}
EOF
		log "apt: added $TRIXIE_SOURCE_FILE (deb-src trixie from ${mirror})"
	fi

	# ----------------------------------------------------------------------
	# Step 3: build dependencies from the machine's own release.
	# ----------------------------------------------------------------------
	STEP="apt-get update"
	run_quiet "apt-get update" as_root apt-get -q -o DPkg::Lock::Timeout=300 update
	log "apt: package lists updated (bookworm + trixie deb-src)"

	STEP="install build dependencies"
	run_quiet "installing build dependencies" as_root apt-get install "${APT_OPTS[@]}" \
		"postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev
	# (fails with "Unable to locate package" when this Debian release does
	# not package PostgreSQL ${PG_MAJOR}; bookworm has 15 only)
	[[ -x "$PG_CONFIG" ]] || die "$PG_CONFIG missing after installing postgresql-server-dev-${PG_MAJOR}"
	log "apt: installed postgresql-server-dev-${PG_MAJOR} build-essential dpkg-dev"

	STEP="apt-get source pgvector"
	SRCDIR="$WORKDIR/src"
	mkdir -p "$SRCDIR"
	# Let apt's unprivileged downloader write here (avoids the "unsandboxed" warning).
	if [[ $EUID -eq 0 ]] && getent passwd _apt >/dev/null 2>&1; then
		chown _apt "$SRCDIR"
	fi
	cd "$SRCDIR"
	run_quiet "apt-get source pgvector/trixie" apt-get source -q pgvector/trixie
	cd - >/dev/null
	pkgdir=$(find "$SRCDIR" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
	[[ -n "$pkgdir" && -f "$pkgdir/Makefile" ]] || die "no unpacked pgvector source found in $SRCDIR"
	log "source: fetched $(basename "$pkgdir") from Debian trixie"

	# ----------------------------------------------------------------------
	# Step 4: build and install against this PostgreSQL.
	# OPTFLAGS= drops pgvector's default -march=native, as Debian does, so
	# the library also runs on another CPU of the same architecture.
	# ----------------------------------------------------------------------
	STEP="build pgvector"
	run_quiet "make" make -C "$pkgdir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=
	STEP="install pgvector"
	run_quiet "make install" as_root make -C "$pkgdir" PG_CONFIG="$PG_CONFIG" OPTFLAGS= install
	vector_available || die "make install finished but $(vector_control_path) or vector.so is missing"
	log "build: built and installed $(basename "$pkgdir") for PostgreSQL ${PG_MAJOR}"
fi

# --------------------------------------------------------------------------
# Step 5: make sure the server is up.
# --------------------------------------------------------------------------
STEP="start cluster"
if is_local_host && command -v pg_lsclusters >/dev/null 2>&1; then
	status=$(pg_lsclusters -h 2>/dev/null | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }')
	if [[ -z "$status" ]]; then
		die "no PostgreSQL cluster ${PG_MAJOR}/${PG_CLUSTER} (pg_lsclusters); create one with: pg_createcluster ${PG_MAJOR} ${PG_CLUSTER} --start"
	elif [[ "$status" == online* ]]; then
		log "cluster: ${PG_MAJOR}/${PG_CLUSTER} already running"
	else
		STEP="start cluster"
		as_root pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$PG_CLUSTER" start ||
			die "pg_ctlcluster could not start ${PG_MAJOR}/${PG_CLUSTER}; see /var/log/postgresql/postgresql-${PG_MAJOR}-${PG_CLUSTER}.log"
		log "cluster: started ${PG_MAJOR}/${PG_CLUSTER}"
	fi
else
	log "cluster: not managed here (PGHOST=${PGHOST} is not local or pg_lsclusters is absent)"
fi

STEP="wait for server"
deadline=$((SECONDS + PG_READY_TIMEOUT))
until pg_isready -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER"; do
	if ((SECONDS >= deadline)); then
		die "PostgreSQL at ${PGHOST}:${PGPORT} not ready after ${PG_READY_TIMEOUT}s (pg_isready)"
	fi
	sleep 1
done
log "server: ready at ${PGHOST}:${PGPORT}"

# --------------------------------------------------------------------------
# Step 6: test database and extension. The extension is also created in
# template1, so every database created later (e.g. one per test) has it.
# --------------------------------------------------------------------------
STEP="check connection"
psql_q postgres -c 'SELECT 1' >/dev/null ||
	die "cannot connect as ${PGUSER} to ${PGHOST}:${PGPORT} (check pg_hba.conf / PGUSER)"
server_major=$(psql_q postgres -c 'SHOW server_version_num')
server_major=$((server_major / 10000))
if [[ "$server_major" != "$PG_MAJOR" ]]; then
	die "the server at ${PGHOST}:${PGPORT} is PostgreSQL ${server_major}, but pgvector was built for PG_MAJOR=${PG_MAJOR}"
fi
avail=$(psql_q postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
[[ -n "$avail" ]] || die "the server does not list 'vector' in pg_available_extensions"

STEP="create database"
exists=$(psql_q postgres -v db="$LORE_TEST_DB" <<'SQL'
SELECT 1 FROM pg_database WHERE datname = :'db';
SQL
)
if [[ "$exists" == 1 ]]; then
	log "database: ${LORE_TEST_DB} already exists"
else
	psql_q postgres -v db="$LORE_TEST_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
	log "database: created ${LORE_TEST_DB}"
fi

STEP="create extension"
ensure_extension() {
	local db=$1 installed
	installed=$(psql_q "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
	if [[ -z "$installed" ]]; then
		psql_q "$db" -c 'CREATE EXTENSION IF NOT EXISTS vector'
		log "extension: created vector ${avail} in ${db}"
	elif [[ "$installed" != "$avail" ]]; then
		psql_q "$db" -c 'ALTER EXTENSION vector UPDATE'
		log "extension: updated vector ${installed} -> ${avail} in ${db}"
	else
		log "extension: vector ${installed} already in ${db}"
	fi
}
ensure_extension template1
ensure_extension "$LORE_TEST_DB"

# --------------------------------------------------------------------------
# Step 7: how to point the tests at it.
# --------------------------------------------------------------------------
STEP="done"
url_host=$PGHOST
[[ "$url_host" == *:* ]] && url_host="[${url_host}]"
log "done"
printf 'LORE_TEST_DATABASE_URL=postgres://%s@%s:%s/%s?sslmode=disable\n' \
	"$PGUSER" "$url_host" "$PGPORT" "$LORE_TEST_DB"
