# shellcheck shell=bash
#
# tests/lib/postfix.sh - run a private postfix instance for end-to-end tests.
#
# Source it from a bash test, then:
#
#     pf_available || skip
#     pf_setup "$dir" "$port" desk.test "$bin" "$conf" bob@customer.example
#     trap pf_stop EXIT
#     pf_start
#     pf_send alice@shop.example support@desk.test "Subject" "Body"
#     pf_wait_queue_empty
#
# The instance lives entirely under DIR (config DIR/etc, queue DIR/queue,
# data DIR/data, log DIR/maillog, virtual Maildirs DIR/vmail) and listens on
# 127.0.0.1:PORT only, so several tests can run one each, in parallel, next
# to (or without) a system postfix.  It is built from the same snippets a
# postmaster installs: etc/postfix/main.cf.snippet and master.cf.snippet.
#
# DESK_TRANSPORT=lmtp in the environment (default: pipe) wires the desk
# domain to lmtp:unix:DIR/lmtp/deskgate.sock instead of the pipe(8)
# transport, with main.cf.lmtp.snippet instead of main.cf.snippet's
# transport settings: pf_start then also starts DESKGATE_BIN-lmtpd there
# (deskgate-lmtpd, as the user pipe(8) would run deskgate as, on
# DESKGATE_CONF), and pf_stop stops it.  A test written for the pipe runs
# unchanged over LMTP as long as it routes guarded addresses to
# $PF_GUARD_TRANSPORT, sets deskgate's environment with pf_deskgate_env
# and calls pf_deskgate_reload after changing DESKGATE_CONF (the service
# reads it once, at start).
#
# It needs root (postfix's master runs as root) and postfix + swaks
# (+ setpriv for DESK_TRANSPORT=lmtp).
# Functions print diagnostics on stderr and return non-zero on failure;
# every wait has a timeout, nothing blocks forever.  The library does not
# change the caller's shell options and works under "set -eu".

# Where the snippets are; override for an installed copy.
PF_SNIPPET_DIR=${PF_SNIPPET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../etc/postfix" 2>/dev/null && pwd)}
# The unprivileged user pipe(8) runs deskgate as (never root).
PF_DESKGATE_USER=${PF_DESKGATE_USER:-nobody}
# Owner of the virtual Maildirs (nobody/nogroup on Debian).
PF_VMAIL_UID=${PF_VMAIL_UID:-65534}
PF_VMAIL_GID=${PF_VMAIL_GID:-65534}
# Default seconds for the pf_wait_* functions.
PF_WAIT_TIMEOUT=${PF_WAIT_TIMEOUT:-30}

# Set by pf_setup; never inherited, so a stray PF_DIR in the environment
# cannot make pf_stop stop someone else's instance.  PF_PORT is left alone:
# tests read it from the environment before calling pf_setup.
PF_DIR=
PF_ETC=
PF_PORT=${PF_PORT:-}
# pipe or lmtp (from DESK_TRANSPORT at pf_setup), and the transport:nexthop
# a guarded address goes to in DIR/etc/transport (deskgate-guard: or the
# LMTP socket).
PF_TRANSPORT=
PF_GUARD_TRANSPORT=
# For lmtp: the program and config it serves, its socket, its pid while it
# runs, its exit status once stopped, and the NAME=VALUE environment it is
# started with (pf_deskgate_env).
PF_DESKGATE_BIN=
PF_DESKGATE_CONF=
PF_LMTPD_SOCKET=
PF_LMTPD_PID=
PF_LMTPD_RC=
PF_LMTPD_ENV=()

_pf_err() {
	printf 'postfix.sh: %s: %s\n' "${FUNCNAME[1]}" "$*" >&2
}

_pf_need_setup() {
	if [[ -z $PF_DIR || ! -f $PF_ETC/main.cf ]]; then
		printf 'postfix.sh: %s: pf_setup has not been run\n' "${FUNCNAME[1]}" >&2
		return 1
	fi
}

# Print FILE with each @NAME@ replaced by its value, from NAME=VALUE args.
# Bash substitution rather than sed, so values may hold any character
# (quoting the replacement also keeps bash 5.2 from expanding "&").
_pf_subst() {
	local file=$1 text pair
	shift
	text=$(<"$file") || return 1
	for pair in "$@"; do
		text=${text//"@${pair%%=*}@"/"${pair#*=}"}
	done
	if [[ $text =~ @[A-Z_]+@ ]]; then
		_pf_err "$file: placeholder ${BASH_REMATCH[0]} left unsubstituted"
		return 1
	fi
	printf '%s\n' "$text"
}

# The Maildir of a virtual mailbox address (lower-cased, as postfix
# folds the lookup key).
_pf_maildir() {
	local addr=${1,,}
	printf '%s/vmail/%s/%s/\n' "$PF_DIR" "${addr#*@}" "${addr%@*}"
}

# Pid of this instance's master daemon, if it is running.
_pf_master_pid() {
	local pid
	[[ -n $PF_DIR && -r $PF_DIR/queue/pid/master.pid ]] || return 1
	read -r pid <"$PF_DIR/queue/pid/master.pid" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	# A stale pid file (after a crash or reboot) may name some other
	# process: only a master started on this config directory counts.
	tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
	    grep -qxF "MAIL_CONFIG=$PF_ETC" || return 1
	printf '%s\n' "$pid"
}

# Postfix rereads a table or main.cf for up to two seconds, in 0.3 s naps,
# while its mtime is less than a second old ("let it settle"): every
# postmap/postfix/daemon run right after pf_setup would pay that.  The
# files are complete, so date them back.
_pf_backdate() {
	touch -m -d "@$((EPOCHSECONDS - 10))" "$@"
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
# shellcheck disable=SC2016 # the inner bash expands $1
_pf_port_open() {
	timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# True if an SMTP server greets with 220 on 127.0.0.1:PORT.
# shellcheck disable=SC2016 # the inner bash expands $1 and $line
_pf_smtp_ready() {
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r line <&3 || exit 1
		printf "QUIT\r\n" >&3
		[[ $line == 220* ]]' _ "$1" 2>/dev/null
}

_pf_log_tail() {
	if [[ -s $PF_DIR/maillog ]]; then
		printf '%s\n' "--- last lines of $PF_DIR/maillog:" >&2
		tail -n 20 "$PF_DIR/maillog" >&2
	else
		printf '%s\n' "--- $PF_DIR/maillog is empty or missing" >&2
	fi
}

# pf_available: 0 if this machine can run a private instance.
pf_available() {
	local tool
	[[ $(id -u) == 0 ]] || return 1
	for tool in /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/postqueue \
	    /usr/sbin/postmap; do
		[[ -x $tool ]] || return 1
	done
	command -v swaks >/dev/null 2>&1 || return 1
	command -v timeout >/dev/null 2>&1 || return 1
	command -v ps >/dev/null 2>&1 || return 1
	if [[ ${DESK_TRANSPORT:-pipe} == lmtp ]]; then
		command -v setpriv >/dev/null 2>&1 || return 1
	fi
	[[ -r /etc/postfix/master.cf || -r /usr/share/postfix/master.cf.dist ]]
}

# pf_free_port [FIRST]: print the first port from FIRST (default 2525) on
# that nobody listens on.  Racy by nature; pf_start re-checks.
pf_free_port() {
	local port=${1:-2525} last
	last=$((port + 200))
	while ((port < last)); do
		if ! _pf_port_open "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
		port=$((port + 1))
	done
	_pf_err "no free port in ${1:-2525}..$((last - 1))"
	return 1
}

# master.cf from Debian's, with smtpd on 127.0.0.1:PORT and the deskgate
# service appended.  Every chroot column becomes "n": the private queue
# directory is not a prepared jail (no etc/localtime, services, resolv.conf).
_pf_write_master_cf() {
	local src=/etc/postfix/master.cf bin=$1 conf=$2
	[[ -r $src ]] || src=/usr/share/postfix/master.cf.dist
	awk -v port="$PF_PORT" '
		/^[^#[:space:]]/ && $1 == "smtp" && $2 == "inet" {
			print "127.0.0.1:" port " inet n - n - - smtpd"
			next
		}
		/^[^#[:space:]]/ && NF >= 8 { $5 = "n" }
		{ print }
	' "$src" >"$PF_ETC/master.cf" || return 1
	grep -q "^127\.0\.0\.1:$PF_PORT inet" "$PF_ETC/master.cf" || {
		_pf_err "no 'smtp inet' service in $src to rewrite"
		return 1
	}
	{
		printf '\n'
		_pf_subst "$PF_SNIPPET_DIR/master.cf.snippet" \
		    DESKGATE_USER="$PF_DESKGATE_USER" DESKGATE="$bin" \
		    DESKGATE_CONF="$conf" DESKGATE_POLICY="$bin-policy"
	} >>"$PF_ETC/master.cf"
}

# main.cf: a loopback-only instance that cannot send mail anywhere, plus
# the postmaster's snippet verbatim (it reads hash:$config_directory/transport,
# which here is DIR/etc/transport).
_pf_write_main_cf() {
	local domain=$1 domains=$2
	cat >"$PF_ETC/main.cf" <<-EOF || return 1
	# Private test instance written by tests/lib/postfix.sh.
	compatibility_level = 3.6
	queue_directory = $PF_DIR/queue
	data_directory = $PF_DIR/data
	# No syslog daemon here: postfix logs through postlogd into this file,
	# which must start with one of maillog_file_prefixes.
	maillog_file = $PF_DIR/maillog
	maillog_file_prefixes = $PF_DIR/

	myhostname = mail.pf.test
	mydestination =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	alias_maps =
	alias_database =
	local_recipient_maps =
	biff = no

	# Mail for any domain not handled below bounces at once: no DNS, no
	# relayhost, no connection attempts that would hang a test.
	relayhost =
	default_transport = error:outbound mail is disabled in this test instance
	relay_transport = error:outbound mail is disabled in this test instance
	smtp_dns_support_level = disabled
	smtpd_peername_lookup = no
	# A rejected command would otherwise cost a second.
	smtpd_error_sleep_time = 0

	# Treat SMTP clients on 127.0.0.1 like the Internet: do not add missing
	# Date/Message-ID/From headers, so messages arrive as the test wrote them.
	local_header_rewrite_clients =

	virtual_mailbox_domains = $domains
	virtual_mailbox_base = $PF_DIR/vmail
	virtual_mailbox_maps = texthash:$PF_ETC/vmailbox
	virtual_uid_maps = static:$PF_VMAIL_UID
	virtual_gid_maps = static:$PF_VMAIL_GID

	EOF
	_pf_subst "$PF_SNIPPET_DIR/$(_pf_main_snippet)" DESK_DOMAIN="$domain" \
	    >>"$PF_ETC/main.cf"
}

# The main.cf snippet of the transport: the pipe's, or the LMTP service's
# (which replaces it, recipient_delimiter and relay_domains included).
_pf_main_snippet() {
	if [[ $PF_TRANSPORT == lmtp ]]; then
		printf 'main.cf.lmtp.snippet\n'
	else
		printf 'main.cf.snippet\n'
	fi
}

# Stop and wipe whatever an earlier run left under DIR.
_pf_reset_dir() {
	local dir=$1
	PF_DIR=$dir PF_ETC=$dir/etc pf_stop || return 1
	rm -rf "${dir:?}/etc" "$dir/queue" "$dir/data" "$dir/vmail" "$dir/maillog" \
	    "$dir/postfix.out" "$dir/postqueue.err" "$dir/lmtp" "$dir/lmtpd.out"
}

# pf_setup DIR PORT DESK_DOMAIN DESKGATE_BIN DESKGATE_CONF [MAILBOXES...]
# Each MAILBOX address gets a virtual Maildir (DIR/vmail/DOMAIN/LOCAL/), and
# the domains of the MAILBOXes are the instance's virtual mailbox domains:
# mail to another address of those domains is refused at RCPT (unless
# smtpd_reject_unlisted_recipient = no, as 0110 sets).
pf_setup() {
	if (($# < 5)); then
		_pf_err "usage: pf_setup DIR PORT DESK_DOMAIN DESKGATE_BIN DESKGATE_CONF [MAILBOX...]"
		return 1
	fi
	local dir=$1 port=$2 domain=${3,,} bin=$4 conf=$5 mbox maps domains=
	local transport=${DESK_TRANSPORT:-pipe} nexthop
	shift 5
	if [[ $transport != pipe && $transport != lmtp ]]; then
		_pf_err "DESK_TRANSPORT is '$transport': pipe or lmtp"
		return 1
	fi
	if [[ $transport == lmtp && ! -x $bin-lmtpd ]]; then
		_pf_err "DESK_TRANSPORT=lmtp: no $bin-lmtpd"
		return 1
	fi
	local arg
	for arg in "$dir" "$bin" "$conf" "$domain" "$@"; do
		# Postfix lists and pipe(8) argv= split on white space.
		if [[ -z $arg || $arg =~ [[:space:],] ]]; then
			_pf_err "empty or contains white space or comma: '$arg'"
			return 1
		fi
	done
	if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
		_pf_err "bad port: $port"
		return 1
	fi
	if [[ ! -r $PF_SNIPPET_DIR/main.cf.snippet || ! -r $PF_SNIPPET_DIR/master.cf.snippet ||
	    ! -r $PF_SNIPPET_DIR/main.cf.lmtp.snippet ]]; then
		_pf_err "snippets not found in '$PF_SNIPPET_DIR' (set PF_SNIPPET_DIR)"
		return 1
	fi
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd -P) || return 1
	_pf_reset_dir "$dir" || return 1

	PF_DIR=$dir PF_ETC=$dir/etc PF_PORT=$port PF_TRANSPORT=$transport
	PF_DESKGATE_BIN=$bin PF_DESKGATE_CONF=$conf PF_LMTPD_ENV=()
	# pipe(8) runs deskgate as nobody with its config and database under DIR.
	chmod 755 "$dir" &&
	    mkdir -m 755 "$PF_ETC" "$dir/queue" "$dir/data" "$dir/vmail" &&
	    chown postfix: "$dir/data" &&
	    chown "$PF_VMAIL_UID:$PF_VMAIL_GID" "$dir/vmail" || return 1

	: >"$PF_ETC/vmailbox" || return 1
	for mbox in "$@"; do
		mbox=${mbox,,}
		if [[ $mbox != ?*@?* ]]; then
			_pf_err "not an address: $mbox"
			return 1
		fi
		if [[ ${mbox#*@} == "$domain" ]]; then
			_pf_err "$mbox: the desk domain cannot also hold virtual mailboxes"
			return 1
		fi
		printf '%s %s/%s/\n' "$mbox" "${mbox#*@}" "${mbox%@*}" >>"$PF_ETC/vmailbox"
		[[ " $domains " == *" ${mbox#*@} "* ]] || domains+="${domains:+ }${mbox#*@}"
	done

	if [[ $transport == lmtp ]]; then
		# A directory the service's user may create its socket in
		# (mode 0666: postfix's lmtp(8) connects as user postfix).
		PF_LMTPD_SOCKET=$dir/lmtp/deskgate.sock
		if ((${#PF_LMTPD_SOCKET} >= 108)); then
			_pf_err "socket path too long for a UNIX socket: $PF_LMTPD_SOCKET"
			return 1
		fi
		mkdir -m 755 "$dir/lmtp" &&
		    chown "$PF_DESKGATE_USER": "$dir/lmtp" || return 1
		nexthop="lmtp:unix:$PF_LMTPD_SOCKET"
		PF_GUARD_TRANSPORT=$nexthop
	else
		PF_LMTPD_SOCKET=
		nexthop=deskgate:
		# shellcheck disable=SC2034 # for the tests (0120)
		PF_GUARD_TRANSPORT=deskgate-guard:
	fi
	printf '%s %s\n' "$domain" "$nexthop" >"$PF_ETC/transport" &&
	    _pf_write_master_cf "$bin" "$conf" &&
	    _pf_write_main_cf "$domain" "$domains" &&
	    _pf_backdate "$PF_ETC"/* || return 1
	maps=$(timeout 30 postmap -c "$PF_ETC" "hash:$PF_ETC/transport" 2>&1) || {
		_pf_err "postmap failed: $maps"
		return 1
	}
	# "postfix check" creates the queue directories with the right owners
	# and reports configuration errors now rather than at start.
	maps=$(timeout 60 postfix -c "$PF_ETC" check 2>&1) || {
		_pf_err "postfix check failed: $maps"
		return 1
	}
	if command -v setpriv >/dev/null 2>&1 &&
	    ! setpriv --reuid="$PF_VMAIL_UID" --regid="$PF_VMAIL_GID" --clear-groups \
	    test -x "$dir" 2>/dev/null; then
		_pf_err "user $PF_VMAIL_UID cannot reach $dir: a parent directory is not searchable (use a directory under /tmp)"
		return 1
	fi
}

# pf_start: start the instance (if it is not running yet) and wait until
# smtpd answers on the port.
pf_start() {
	_pf_need_setup || return 1
	local i out=$PF_DIR/postfix.out
	# The service first: postfix delivers as soon as it is up.
	if [[ $PF_TRANSPORT == lmtp ]] && ! _pf_lmtpd_start; then
		pf_stop
		return 1
	fi
	if ! _pf_master_pid >/dev/null; then
		if _pf_port_open "$PF_PORT"; then
			_pf_err "port 127.0.0.1:$PF_PORT is already in use by another program"
			return 1
		fi
		# Redirected so the daemon keeps none of the caller's pipes open.
		if ! timeout 60 postfix -c "$PF_ETC" start </dev/null >"$out" 2>&1; then
			_pf_err "postfix start failed: $(<"$out")"
			_pf_log_tail
			pf_stop
			return 1
		fi
	fi
	for ((i = 0; i < 100; i++)); do
		_pf_smtp_ready "$PF_PORT" && return 0
		sleep 0.2
	done
	_pf_err "no SMTP greeting on 127.0.0.1:$PF_PORT after 20 s"
	_pf_log_tail
	pf_stop
	return 1
}

# True while a process of group PGID is alive.  Zombies do not count: the
# exited master's children go to PID 1, which may take a while to reap
# them (about a second in some containers), and a zombie holds no socket.
_pf_group_alive() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { alive = 1 }
	    END { exit !alive }'
}

# Stop this instance's master and wait for its process group.
_pf_master_stop() {
	local pid i
	pid=$(_pf_master_pid) || return 0
	# What "postfix stop" does, without its one-second polling: the master
	# leads its own process group and takes it down on SIGTERM.  Waiting
	# for the whole group means no smtpd still holds the port afterwards.
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		_pf_group_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	sleep 0.2
	if _pf_group_alive "$pid"; then
		_pf_err "postfix of $PF_DIR (process group $pid) does not stop"
		return 1
	fi
}

# True while the deskgate-lmtpd this shell started runs (a zombie, not
# yet waited for, does not count).
_pf_lmtpd_alive() {
	local st
	[[ -n $PF_LMTPD_PID ]] || return 1
	st=$(ps -o stat= -p "$PF_LMTPD_PID" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

# Start deskgate-lmtpd on PF_LMTPD_SOCKET, as PF_DESKGATE_USER (and its
# group, as pipe(8)'s user= gives), with PF_LMTPD_ENV, unless it runs;
# wait until it listens.  Its output goes to DIR/lmtpd.out.
_pf_lmtpd_start() {
	local gid deadline
	_pf_lmtpd_alive && return 0
	gid=$(id -g "$PF_DESKGATE_USER") || return 1
	rm -f "$PF_LMTPD_SOCKET" || return 1
	setpriv --reuid="$PF_DESKGATE_USER" --regid="$gid" --clear-groups \
	    env "${PF_LMTPD_ENV[@]}" "$PF_DESKGATE_BIN-lmtpd" \
	    -c "$PF_DESKGATE_CONF" -l "unix:$PF_LMTPD_SOCKET" \
	    </dev/null >>"$PF_DIR/lmtpd.out" 2>&1 &
	PF_LMTPD_PID=$! PF_LMTPD_RC=
	deadline=$((SECONDS + PF_WAIT_TIMEOUT))
	until [[ -S $PF_LMTPD_SOCKET ]]; do
		if ! _pf_lmtpd_alive || ((SECONDS >= deadline)); then
			_pf_err "deskgate-lmtpd does not listen on $PF_LMTPD_SOCKET:"
			tail -n 20 "$PF_DIR/lmtpd.out" >&2
			_pf_lmtpd_stop
			return 1
		fi
		sleep 0.05
	done
}

# Stop it with SIGTERM (it finishes what it accepted) and wait; sets
# PF_LMTPD_RC (137 when it had killed itself at a DESKGATE_FAULT point).
_pf_lmtpd_stop() {
	local i
	[[ -n $PF_LMTPD_PID ]] || return 0
	kill -TERM "$PF_LMTPD_PID" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		_pf_lmtpd_alive || break
		sleep 0.1
	done
	if _pf_lmtpd_alive; then
		_pf_err "deskgate-lmtpd (pid $PF_LMTPD_PID) ignores SIGTERM: killed"
		kill -KILL "$PF_LMTPD_PID" 2>/dev/null || true
	fi
	PF_LMTPD_RC=0
	wait "$PF_LMTPD_PID" 2>/dev/null || PF_LMTPD_RC=$?
	PF_LMTPD_PID=
	if ((PF_LMTPD_RC != 0)); then
		_pf_err "deskgate-lmtpd exited $PF_LMTPD_RC; the end of $PF_DIR/lmtpd.out:"
		tail -n 20 "$PF_DIR/lmtpd.out" >&2 2>/dev/null || true
	fi
}

# pf_stop: stop the instance (and its deskgate-lmtpd).  Safe to call when
# nothing runs, before pf_setup, or twice: meant for "trap pf_stop EXIT".
pf_stop() {
	local status=0
	_pf_master_stop || status=1
	_pf_lmtpd_stop || status=1
	return "$status"
}

# pf_deskgate_env [NAME=VALUE...]: restart the instance with deskgate
# running in that environment (none: the usual one), e.g. a DESKGATE_FAULT
# point.  pipe: through master(8)'s import_environment and pipe(8)'s
# export_environment, which master reads only when it starts; lmtp:
# deskgate-lmtpd's own environment.
pf_deskgate_env() {
	_pf_need_setup || return 1
	local pair names=
	for pair; do
		if [[ ! $pair =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*$ ]]; then
			_pf_err "not NAME=VALUE without white space: '$pair'"
			return 1
		fi
		names+=" ${pair%%=*}"
	done
	pf_stop || return 1
	if [[ $PF_TRANSPORT == lmtp ]]; then
		PF_LMTPD_ENV=("$@")
	else
		pf_postconf "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C${*:+ $*}" \
		    "export_environment = TZ MAIL_CONFIG LANG$names" >/dev/null || return 1
	fi
	pf_start
}

# pf_deskgate_reload: DESKGATE_CONF has changed.  The pipe reads it for
# each message, so nothing is done; deskgate-lmtpd reads it once, at
# start, and is restarted (as an operator would).  Call it while no mail
# is on its way to the desk: postfix defers what finds no service.
pf_deskgate_reload() {
	_pf_need_setup || return 1
	[[ $PF_TRANSPORT == lmtp ]] || return 0
	_pf_lmtpd_stop && _pf_lmtpd_start
}

# pf_postconf NAME=VALUE...: change main.cf (and reload if running).
pf_postconf() {
	_pf_need_setup || return 1
	local out
	out=$(timeout 30 postconf -c "$PF_ETC" -e "$@" 2>&1) || {
		_pf_err "postconf failed: $out"
		return 1
	}
	_pf_backdate "$PF_ETC/main.cf" || return 1
	_pf_master_pid >/dev/null || return 0
	out=$(timeout 30 postfix -c "$PF_ETC" reload 2>&1) || {
		_pf_err "postfix reload failed: $out"
		return 1
	}
}

# pf_flush: retry deferred mail now.
pf_flush() {
	_pf_need_setup || return 1
	local out
	out=$(timeout 30 postqueue -c "$PF_ETC" -f 2>&1) || {
		_pf_err "postqueue -f failed: $out"
		return 1
	}
}

# pf_wait_queue_empty [TIMEOUT]: wait until no message is queued (incoming,
# active, deferred or hold).  Deferred mail stays until pf_flush or the
# normal retry time (minutes), so a tempfail makes this time out.
pf_wait_queue_empty() {
	_pf_need_setup || return 1
	local limit=${1:-$PF_WAIT_TIMEOUT} queue deadline err=$PF_DIR/postqueue.err
	deadline=$((SECONDS + limit))
	while :; do
		# stdout only: with the master down, postqueue still reads the
		# queue directly but warns on stderr.
		queue=$(timeout 10 postqueue -c "$PF_ETC" -j 2>"$err") || {
			_pf_err "postqueue -j failed: $(<"$err")"
			return 1
		}
		[[ -z $queue ]] && return 0
		if ! _pf_master_pid >/dev/null; then
			_pf_err "postfix is not running and the queue is not empty"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			_pf_err "queue not empty after $limit s:"
			timeout 10 postqueue -c "$PF_ETC" -p >&2 || true
			_pf_log_tail
			return 1
		fi
		sleep 0.2
	done
}

_pf_count_maildir() {
	find "${1}new" "${1}cur" -type f 2>/dev/null | wc -l
}

# pf_wait_maildir ADDRESS COUNT [TIMEOUT]: wait until ADDRESS's Maildir
# holds at least COUNT messages (new/ and cur/).
pf_wait_maildir() {
	_pf_need_setup || return 1
	if (($# < 2)) || ! [[ $2 =~ ^[0-9]+$ ]]; then
		_pf_err "usage: pf_wait_maildir ADDRESS COUNT [TIMEOUT]"
		return 1
	fi
	local dir count=$2 limit=${3:-$PF_WAIT_TIMEOUT} deadline
	dir=$(_pf_maildir "$1")
	deadline=$((SECONDS + limit))
	while (($(_pf_count_maildir "$dir") < count)); do
		if ((SECONDS >= deadline)); then
			_pf_err "$1: fewer than $count messages in $dir after $limit s"
			_pf_log_tail
			return 1
		fi
		sleep 0.2
	done
}

# pf_maildir ADDRESS: the Maildir of ADDRESS, one of pf_setup's MAILBOXes
# (for a mail client: s-nail -f "maildir://$(pf_maildir ADDRESS)").  It
# exists once postfix has delivered the first message there.
pf_maildir() {
	_pf_need_setup || return 1
	if (($# != 1)); then
		_pf_err "usage: pf_maildir ADDRESS"
		return 1
	fi
	_pf_maildir "$1"
}

# pf_maildir_files ADDRESS: the message files of ADDRESS's Maildir, one
# per line, oldest delivery first.
pf_maildir_files() {
	_pf_need_setup || return 1
	local dir
	dir=$(_pf_maildir "$1")
	[[ -d $dir ]] || return 0
	# Paths hold no white space (pf_setup refuses it), so "mtime path"
	# lines split safely.
	find "${dir}new" "${dir}cur" -type f -printf '%T@ %p\n' 2>/dev/null |
	    sort -n | cut -d' ' -f2-
}

# Run swaks against the instance; show its transcript only on failure.
# Callers always feed stdin, so swaks can never sit prompting a terminal.
_pf_swaks() {
	local out
	out=$(timeout 60 swaks --server "127.0.0.1:$PF_PORT" --timeout 30 \
	    --helo client.pf.test "$@" 2>&1) || {
		printf 'postfix.sh: %s: swaks failed:\n%s\n' "${FUNCNAME[1]}" "$out" >&2
		return 1
	}
}

# swaks reads "<>" as the null sender; accept "" as well.
_pf_sender() {
	if [[ -z $1 ]]; then printf '<>\n'; else printf '%s\n' "$1"; fi
}

# pf_send FROM TO SUBJECT BODY [SWAKS_ARGS...]: send one message by SMTP,
# with swaks's usual Date/From/To/Message-Id headers.  FROM "" or "<>" is
# the null sender; TO may list several addresses, comma-separated.  swaks
# turns a literal backslash-n in SUBJECT or BODY into a line break.
pf_send() {
	_pf_need_setup || return 1
	if (($# < 4)); then
		_pf_err "usage: pf_send FROM TO SUBJECT BODY [SWAKS_ARGS...]"
		return 1
	fi
	local from to=$2 subject=$3 body=$4
	from=$(_pf_sender "$1")
	shift 4
	# The body goes through stdin: as an argument, swaks would take a
	# one-line body that names an existing file for that file's contents.
	printf '%s' "$body" |
	    _pf_swaks --from "$from" --to "$to" --header "Subject: $subject" \
	    --body - "$@"
}

# pf_send_file FROM TO FILE: send a prepared RFC 5322 message byte for byte
# (line ends become CRLF on the wire and LF again in postfix).
pf_send_file() {
	_pf_need_setup || return 1
	if (($# != 3)); then
		_pf_err "usage: pf_send_file FROM TO FILE"
		return 1
	fi
	local from
	from=$(_pf_sender "$1")
	if [[ ! -r $3 ]]; then
		_pf_err "cannot read $3"
		return 1
	fi
	# swaks's own DATA handling would rewrite the message (expand %DATE%
	# and "\n", drop a leading "From " line), so it gets --no-data-fixup
	# and the SMTP framing is done here: CRLF line ends, dot-stuffing, and
	# the final "." (swaks appends its CRLF).
	{ perl -pe 's/\r?\n?\z/\r\n/; s/^\./../' "$3" && printf '.'; } |
	    _pf_swaks --from "$from" --to "$2" --no-data-fixup --data -
}

# pf_log: the instance's mail log.
pf_log() {
	_pf_need_setup || return 1
	[[ ! -e $PF_DIR/maillog ]] || cat "$PF_DIR/maillog"
}
