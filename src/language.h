/*
 * language.h - which language a message is written in.
 *
 * Word and letter evidence from filters/languages.words: each common word
 * of a language scores a point for it, an unknown word a point for the
 * languages of its ending or of letters inside it, and each listed letter
 * half a point for the few languages that use it. English and Russian are
 * the Help Desk's languages; anything else is "other". Text with no evidence is "unknown".
 * Measured on ../shared/corpus/labelled/lang (see tests/unit).
 */
#ifndef DESK_LANGUAGE_H
#define DESK_LANGUAGE_H

#include <glib.h>

struct language_model;

/* language_load - read a languages.words file. (transfer full) */
struct language_model *language_load(const char *path, GError **error);
/* language_load_text - the same for TEXT, the contents of PATH. */
struct language_model *language_load_text(const char *path, const char *text,
    GError **error);
void language_free(struct language_model *model);

/*
 * language_save - MODEL as a blob for the cache (cache.h);
 * language_restore - the model of such a blob, or NULL when it is not
 * one. (transfer full)
 */
GBytes *language_save(const struct language_model *model);
struct language_model *language_restore(GBytes *blob);

/*
 * language_detect - "en", "ru", "other" or "unknown" for TEXT (UTF-8):
 * "other" also for letters beyond ASCII that no list knows.
 * (transfer none: a static string)
 */
const char *language_detect(const struct language_model *model,
    const char *text);

/*
 * language_best - the language code that scored best ("de", "uk", ...),
 * or NULL when nothing scored. (transfer none)
 */
const char *language_best(const struct language_model *model,
    const char *text);

#endif
