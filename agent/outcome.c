/*
 * The words of the outcomes. They are part of the audit log's format ("result" in a completed
 * record) and of the status file, so a word once written is never changed.
 */
#include <string.h>

#include "outcome.h"

static const char *const names[OUTCOME_COUNT] = {
    [OUTCOME_PRODUCED] = "produced",   [OUTCOME_PARTLY_REJECTED] = "partly_rejected",
    [OUTCOME_REJECTED] = "rejected",   [OUTCOME_REVIEW] = "review",
    [OUTCOME_DUPLICATE] = "duplicate", [OUTCOME_CANCELLED] = "cancelled",
    [OUTCOME_RETRY] = "retry",
};

const char *
outcome_name(enum outcome o)
{
	return (unsigned)o < OUTCOME_COUNT && names[o] != 0 ? names[o] : "unknown";
}

int
outcome_final(enum outcome o)
{
	return o != OUTCOME_CANCELLED && o != OUTCOME_RETRY;
}

int
outcome_paid(enum outcome o)
{
	return o == OUTCOME_PRODUCED || o == OUTCOME_PARTLY_REJECTED || o == OUTCOME_REVIEW;
}

int
outcome_name_paid(const char *word)
{
	int o;

	for (o = 0; o < OUTCOME_COUNT; o++)
		if (names[o] != 0 && strcmp(names[o], word) == 0)
			return outcome_paid((enum outcome)o);
	return 0;
}

int
outcome_exit(enum outcome o)
{
	switch (o) {
	case OUTCOME_PRODUCED:
		return 0;
	case OUTCOME_PARTLY_REJECTED:
	case OUTCOME_REVIEW:
		return 1;
	default:
		return 2;
	}
}
