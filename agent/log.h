/*
 * Operational logging (not the audit log): what the agent is doing, for the operator. Lines go to
 * stderr with sd-daemon priority prefixes ("<4>") when stderr is the journal, plain otherwise.
 * Text that came from outside (file names, cell text) must pass through log_escape() or the %s of
 * log_*() with an escaped argument: no control character reaches the journal (STYLE.md 11).
 */
#ifndef FORMAGENT_LOG_H
#define FORMAGENT_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LV_CRIT = 2,
	LOG_LV_ERR = 3,
	LOG_LV_WARNING = 4,
	LOG_LV_INFO = 6,
	LOG_LV_DEBUG = 7
};

/* Whether to prefix lines with "<N>" for journald; and the least important level printed. */
void log_init(int journal_prefix, enum log_level max_level);
void log_msg(enum log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...)   log_msg(LOG_LV_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LV_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LV_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LV_DEBUG, __VA_ARGS__)

/*
 * Returns s with control characters, backslashes and invalid UTF-8 written as \xNN, truncated
 * (with "...") past max bytes when max > 0. The caller frees the result.
 */
char *log_escape(const char *s, size_t max);

#endif
