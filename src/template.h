/*
 * template.h - notice templates: files DIR/LANG/NAME.txt.
 *
 * A template is a "Subject: ..." line, an empty line and the body.
 * {{name}} is replaced by a variable; {{if name}} ... {{else}} ...
 * {{end}} keeps one branch (a variable is true when set, not empty and
 * not "0"); a line holding only a directive disappears with its newline.
 * An unknown variable, an unclosed {{if}} or a nested one is an error,
 * so that a typo in a template fails a test instead of reaching a
 * customer.
 */
#ifndef DESK_TEMPLATE_H
#define DESK_TEMPLATE_H

#include <glib.h>

/*
 * template_render - render DIR/LANG/NAME.txt (falling back to DIR/en/ when
 * LANG has none) with VARS (char * -> char *). On success *SUBJECT_R and
 * *BODY_R are set (transfer full); on failure ERROR says which file.
 */
int template_render(const char *dir, const char *lang, const char *name,
    GHashTable *vars, char **subject_r, char **body_r, GError **error);

/*
 * template_check - render the template file PATH with VARS, strictly: an
 * {{if name}} on a variable VARS lacks is an error too (template_render
 * takes it as false). 0, or -1 with ERROR naming file, line and variable
 * or the syntax error. For deskctl check-config.
 */
int template_check(const char *path, GHashTable *vars, GError **error);

/* template_expand - the same on TEXT in memory (NAME for errors). */
char *template_expand(const char *text, const char *name, GHashTable *vars,
    GError **error);

#endif
