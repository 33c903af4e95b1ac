#!/bin/sh
# valgrind.sh - LOG_COMPILER that runs a unit test under valgrind's
# memcheck; any error or definite leak fails the test.
G_SLICE=always-malloc G_DEBUG=gc-friendly
# tests that measure time skip the measuring (test-quote's linear time)
DESK_VALGRIND=1
export G_SLICE G_DEBUG DESK_VALGRIND
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --suppressions="$(dirname "$0")/valgrind.supp" \
    --errors-for-leak-kinds=definite --track-fds=no "$@"
