#!/usr/bin/env bash
# Private PostgreSQL cluster for development and tests.
#
#   deploy/dev/postgres.sh [start|stop|url]      (default: start)
#
# start  Installs PostgreSQL if needed (Debian/Ubuntu apt), creates a cluster
#        under <repo>/.data/pg on first use, starts it on 127.0.0.1 (TCP only),
#        makes sure the `latchkey` database exists, and prints its URL.
#        Idempotent, and quick when the cluster is already running.
# stop   Stops the cluster (the data is kept).
# url    Prints the URL of an existing cluster.
#
# Only the URL goes to stdout; progress goes to stderr, so
#
#   DATABASE_URL=$(deploy/dev/postgres.sh)
#
# works. The URL is also written to <repo>/.data/database_url (mode 600).
#
# Environment:
#   LATCHKEY_PG_PORT   TCP port (default 54329)
#   LATCHKEY_PG_FAST   1 = synchronous_commit=off (for tests; durability is
#                      otherwise left at PostgreSQL's defaults)
#
# initdb refuses to run as root. When run as root the cluster is owned and run
# by the `postgres` system user (or a `latchkey-pg` system user created on
# demand). If that user cannot reach <repo>/.data (e.g. the clone lives under a
# 0700 home directory) the cluster is kept in /var/tmp/latchkey-pg-<hash> and
# <repo>/.data/pg is a symlink to it.
set -euo pipefail

# Everything goes to stderr except the final URL (fd 3 is the real stdout).
exec 3>&1 1>&2

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
DATA="$REPO/.data"
PORT="${LATCHKEY_PG_PORT:-54329}"
DB_NAME=latchkey
DB_USER=latchkey
PW_FILE="$DATA/pg-password"
URL_FILE="$DATA/database_url"
LINK="$DATA/pg"
LOG_LINK="$DATA/pg.log"
CMD="${1:-start}"

case "$CMD" in
start | stop | url) ;;
-h | --help | help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&3
	exit 0
	;;
*) die "usage: $0 [start|stop|url]" ;;
esac
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
	die "LATCHKEY_PG_PORT must be a TCP port number, got '$PORT'"
fi

IS_ROOT=0
[[ $EUID -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- binaries --

# The PostgreSQL bin dir: one matching the existing cluster's major version if
# there is one, else pg_config's (if it has initdb), else the highest Debian one.
find_bindir() {
	local want="${1:-}" d
	if [[ -n "$want" && -x "/usr/lib/postgresql/$want/bin/initdb" ]]; then
		echo "/usr/lib/postgresql/$want/bin"
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			echo "$d"
			return 0
		fi
	fi
	# Highest version that has the server (a client-only package has no initdb).
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
		if [[ -x "$d/initdb" ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install_postgres() {
	command -v apt-get >/dev/null 2>&1 ||
		die "PostgreSQL is not installed and apt-get is unavailable; install PostgreSQL (server + contrib) yourself"
	local sudo=()
	if ((!IS_ROOT)); then
		command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed; run: apt-get install postgresql (as root)"
		sudo=(sudo)
	fi
	log "PostgreSQL not found; installing Debian's postgresql package (a system cluster on 5432 may start; it is not used)"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
}

# ------------------------------------------------------------ cluster user --

RUN_USER=""

# as_user CMD...: run CMD as the cluster owner, from / (the owner may not be
# able to read the caller's working directory). Every descriptor above 2 is
# closed first so a started postmaster inherits none of them: holding fd 3 (our
# stdout) would keep `$(postgres.sh)` waiting for EOF, fd 8 is the lock, and a
# CI runner's pipes would keep its step from finishing.
as_user() {
	(
		close_fds
		cd /
		if ((IS_ROOT)); then
			exec runuser -u "$RUN_USER" -- "$@"
		else
			exec "$@"
		fi
	)
}

close_fds() {
	local fd
	if [[ -d /proc/$BASHPID/fd ]]; then
		for fd in /proc/"$BASHPID"/fd/*; do
			fd=${fd##*/}
			if ((fd > 2 && fd < 255)); then eval "exec $fd>&-" 2>/dev/null || true; fi
		done
	else
		exec 3>&- 8>&-
	fi
}

pick_default_user() {
	if ((!IS_ROOT)); then
		RUN_USER=$(id -un)
	elif id -u postgres >/dev/null 2>&1; then
		RUN_USER=postgres
	else
		if ! id -u latchkey-pg >/dev/null 2>&1; then
			log "creating system user latchkey-pg to own the cluster (initdb refuses to run as root)"
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin latchkey-pg
		fi
		RUN_USER=latchkey-pg
	fi
}

# Make sure RUN_USER owns path (a file or directory we created as root).
give() {
	if ((IS_ROOT)); then chown "$RUN_USER:" "$@"; fi
}

# --------------------------------------------------------------- locations --

PGDATA_DIR="" # real (symlink-free) cluster directory
LOG_FILE=""   # real server log path

resolve_existing() {
	if [[ -L "$LINK" ]]; then
		PGDATA_DIR=$(readlink -- "$LINK")
		if [[ -L "$LOG_LINK" ]]; then
			LOG_FILE=$(readlink -- "$LOG_LINK")
		else
			LOG_FILE="$PGDATA_DIR.log"
		fi
	elif [[ -d "$LINK" ]]; then
		PGDATA_DIR="$LINK"
		LOG_FILE="$LOG_LINK"
	fi
}

cluster_exists() { [[ -n "$PGDATA_DIR" && -f "$PGDATA_DIR/PG_VERSION" ]]; }

choose_new_location() {
	if ((IS_ROOT)) && ! runuser -u "$RUN_USER" -- test -x "$DATA"; then
		local hash
		hash=$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
		PGDATA_DIR="/var/tmp/latchkey-pg-$hash"
		LOG_FILE="$PGDATA_DIR.log"
		log "user $RUN_USER cannot reach $DATA; keeping the cluster in $PGDATA_DIR"
		if [[ -e "$PGDATA_DIR" ]]; then
			[[ "$(stat -c %U -- "$PGDATA_DIR")" == "$RUN_USER" ]] ||
				die "$PGDATA_DIR exists but is not owned by $RUN_USER; remove it"
		fi
		ln -sfn -- "$PGDATA_DIR" "$LINK"
		ln -sfn -- "$LOG_FILE" "$LOG_LINK"
	else
		PGDATA_DIR="$LINK"
		LOG_FILE="$LOG_LINK"
	fi
}

# ----------------------------------------------------------------- helpers --

port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

is_running() { as_user "$BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; }

database_url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable' "$DB_USER" "$1" "$PORT" "$DB_NAME"; }

# psql DBNAME ARGS...: run SQL as the cluster superuser over TCP.
psql_do() {
	local db="$1"
	shift
	PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=10 PGOPTIONS='-c client_min_messages=warning' "$BIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
		"postgres://$DB_USER@127.0.0.1:$PORT/$db?sslmode=disable" "$@"
}

# write_if_changed FILE CONTENT: returns 0 if the file changed.
write_if_changed() {
	if [[ -f "$1" && "$(cat -- "$1")" == "$2" ]]; then
		return 1
	fi
	printf '%s\n' "$2" >"$1"
	give "$1"
	return 0
}

# ------------------------------------------------------------------- main --

mkdir -p -- "$DATA"
if [[ ! -f "$DATA/.gitignore" ]]; then
	printf '*\n' >"$DATA/.gitignore"
fi
# Serialise concurrent invocations (e.g. `make -j run test`).
if command -v flock >/dev/null 2>&1; then
	exec 8>"$DATA/pg.lock"
	flock 8
fi

resolve_existing

if [[ "$CMD" == url ]]; then
	cluster_exists || die "no cluster yet; run: $0 start"
	[[ -s "$URL_FILE" ]] || die "$URL_FILE is missing; run: $0 start"
	cat -- "$URL_FILE" >&3
	exit 0
fi

PG_MAJOR=""
if cluster_exists; then
	PG_MAJOR=$(cat -- "$PGDATA_DIR/PG_VERSION")
fi

if ! BIN=$(find_bindir "$PG_MAJOR"); then
	[[ "$CMD" == stop ]] && die "PostgreSQL binaries not found; nothing to stop"
	install_postgres
	BIN=$(find_bindir "$PG_MAJOR") || die "PostgreSQL binaries still not found after installing"
fi
if [[ -n "$PG_MAJOR" ]]; then
	bin_major=$("$BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')
	[[ "$bin_major" == "$PG_MAJOR" ]] ||
		die "cluster $PGDATA_DIR is PostgreSQL $PG_MAJOR but $BIN is PostgreSQL $bin_major; install postgresql-$PG_MAJOR or remove $LINK"
fi

if cluster_exists && ((IS_ROOT)); then
	RUN_USER=$(stat -c %U -- "$PGDATA_DIR")
	[[ "$RUN_USER" != root ]] || die "$PGDATA_DIR is owned by root; PostgreSQL cannot run as root"
elif cluster_exists && [[ "$(stat -c %u -- "$PGDATA_DIR")" != "$EUID" ]]; then
	die "$PGDATA_DIR belongs to $(stat -c %U -- "$PGDATA_DIR"); run this script as that user or as root"
else
	pick_default_user
fi

if [[ "$CMD" == stop ]]; then
	if cluster_exists && is_running; then
		log "stopping cluster in $PGDATA_DIR"
		as_user "$BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60
	else
		log "cluster is not running"
	fi
	exit 0
fi

# --- start ---

# Password: generated once, kept across re-initialisations.
if [[ ! -s "$PW_FILE" ]]; then
	cluster_exists && die "$PW_FILE is missing but the cluster exists; remove $LINK (and its target) to start afresh"
	(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$PW_FILE")
fi
chmod 600 -- "$PW_FILE"
PASSWORD=$(cat -- "$PW_FILE")
[[ "$PASSWORD" =~ ^[0-9a-f]+$ ]] || die "$PW_FILE must hold a hex password"

if ! cluster_exists; then
	[[ -n "$PGDATA_DIR" ]] || choose_new_location
	log "initialising cluster in $PGDATA_DIR ($("$BIN/postgres" --version), owner $RUN_USER)"
	[[ -d "$PGDATA_DIR" ]] || mkdir -m 700 -- "$PGDATA_DIR"
	give "$PGDATA_DIR"
	pwtmp=$(mktemp)
	trap 'rm -f -- "$pwtmp"' EXIT
	printf '%s\n' "$PASSWORD" >"$pwtmp"
	give "$pwtmp"
	locale=C
	if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then locale=C.UTF-8; fi
	as_user "$BIN/initdb" -D "$PGDATA_DIR" -U "$DB_USER" --auth=scram-sha-256 --pwfile="$pwtmp" \
		--encoding=UTF8 --locale="$locale" --no-instructions
	rm -f -- "$pwtmp"
	printf '\n# Latchkey development settings (managed by deploy/dev/postgres.sh)\n%s\n%s\n' \
		"include_if_exists = 'latchkey.conf'" "include_if_exists = 'latchkey-runtime.conf'" \
		>>"$PGDATA_DIR/postgresql.conf"
fi

# Settings that need a restart when changed.
static_conf="# Managed by deploy/dev/postgres.sh; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
shared_preload_libraries = 'pg_stat_statements'
max_connections = 200"
# Settings a reload applies.
if [[ "${LATCHKEY_PG_FAST:-}" == 1 ]]; then
	runtime_conf="synchronous_commit = off"
else
	runtime_conf="# synchronous_commit: default (set LATCHKEY_PG_FAST=1 to turn it off)"
fi
static_changed=0
runtime_changed=0
write_if_changed "$PGDATA_DIR/latchkey.conf" "$static_conf" && static_changed=1
write_if_changed "$PGDATA_DIR/latchkey-runtime.conf" "$runtime_conf" && runtime_changed=1

if [[ ! -e "$LOG_FILE" ]]; then
	touch -- "$LOG_FILE"
	give "$LOG_FILE"
fi

if is_running; then
	if ((static_changed)); then
		log "settings changed (port $PORT); restarting"
		as_user "$BIN/pg_ctl" restart -D "$PGDATA_DIR" -m fast -l "$LOG_FILE" -w -t 60
	elif ((runtime_changed)); then
		as_user "$BIN/pg_ctl" reload -D "$PGDATA_DIR" >/dev/null
	fi
else
	if port_in_use; then
		die "port $PORT on 127.0.0.1 is already in use by another process; stop it or set LATCHKEY_PG_PORT"
	fi
	log "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOG_LINK)"
	if ! as_user "$BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 >/dev/null; then
		tail -n 20 -- "$LOG_FILE" >&2 || true
		if grep -q 'could not bind' -- "$LOG_FILE" 2>/dev/null; then
			die "port $PORT is taken; stop whatever uses it or set LATCHKEY_PG_PORT"
		fi
		die "PostgreSQL failed to start; see $LOG_LINK"
	fi
fi

if [[ "$(psql_do postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
	log "creating database $DB_NAME"
	psql_do postgres -c "CREATE DATABASE $DB_NAME"
fi
psql_do "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

URL=$(database_url "$PASSWORD")
(umask 077 && printf '%s\n' "$URL" >"$URL_FILE.tmp")
mv -f -- "$URL_FILE.tmp" "$URL_FILE"
chmod 600 -- "$URL_FILE"
printf '%s\n' "$URL" >&3
