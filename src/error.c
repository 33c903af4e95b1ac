/*
 * error.c - the GError domain shared by every module.
 */
#include "config.h"

#include "error.h"

G_DEFINE_QUARK(deskgate-error-quark, desk_error)
