# tap.sh - a tiny TAP producer for the shell tests (sourced).
#
#   plan N | plan_skip REASON
#   ok COND-EXIT-STATUS DESCRIPTION   (use: check "desc" cmd args...)
#   is GOT WANT DESCRIPTION
#   skip REASON                       a visible skip: "ok N # SKIP REASON"
#   done_testing
# Test scripts call these and exit with tap_status.

tap_n=0
tap_failed=0

plan() { echo "1..$1"; }
plan_skip() { echo "1..0 # SKIP $*"; exit 0; }

# check DESCRIPTION COMMAND... : passes when COMMAND exits 0.
check() {
	desc=$1; shift
	tap_n=$((tap_n + 1))
	if "$@"; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		tap_failed=$((tap_failed + 1))
	fi
}

# like GOT REGEX DESCRIPTION (grep -E)
like() {
	tap_n=$((tap_n + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   got:  '$(printf '%s' "$1" | head -c 600)'"
		echo "#   want match: '$2'"
		tap_failed=$((tap_failed + 1))
	fi
}

# skip REASON: one test line that automake's tap driver counts as skipped
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $*"
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

done_testing() { echo "1..$tap_n"; }

tap_status() { [ "$tap_failed" -eq 0 ]; }
