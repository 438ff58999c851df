/*
 * Messages for the people who read them: the reasons in reason files are written in the
 * configuration's language (Japanese by default) through gettext, with English as the source
 * language. The operational log and the configuration checker stay English.
 */
#ifndef FORMAGENT_I18N_H
#define FORMAGENT_I18N_H

#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

/*
 * Selects the language ("ja" or "en") for this process. The catalog is looked for in
 * $FORMAGENT_LOCALEDIR, beside the binary (build/locale), then in the installed share/locale.
 */
void i18n_init(const char *language);

#endif
