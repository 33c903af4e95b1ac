/*
 * store-schema.h - the migration steps of the store's schema.
 */
#ifndef DESK_STORE_SCHEMA_H
#define DESK_STORE_SCHEMA_H

#include <glib.h>

/* store_schema_steps - the steps, step N at index N-1; returns the count. */
int store_schema_steps(const char *const **steps_r);

#endif
