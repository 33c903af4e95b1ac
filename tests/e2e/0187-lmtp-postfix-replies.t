#!/bin/bash
# 0187-lmtp-postfix-replies.t - 0110-postfix-replies.t again, with the
# private postfix delivering the desk domain to deskgate-lmtpd (as nobody)
# over lmtp:unix: instead of piping it to deskgate: the same scenario and
# the same checks, so both transports are held to one behaviour.
# DESK_TRANSPORT=lmtp makes tests/lib/postfix.sh wire it so; a check that
# differs by transport says why in its name.
DESK_TRANSPORT=lmtp
export DESK_TRANSPORT
exec bash "$(dirname "$0")/0110-postfix-replies.t" "$@"
