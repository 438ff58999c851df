/*
 * The benchmark's claims: a seeded generator of fictional hospital-transport claims, shared by
 * the export writer and the floor program so both see the very same values. Every value is
 * already in the form formagent's transforms give (ASCII spaces, full-width katakana), so the
 * floor can write it as it is.
 */
#ifndef BENCH_CLAIMS_H
#define BENCH_CLAIMS_H

struct claim {
	char case_no[16];
	const char *householder, *name, *clinic, *route, *transport, *caseworker;
	int applied_y, applied_m, applied_d; /* 西暦 */
	int visit_y, visit_m, visit_d;
	long fare, trips, amount;
};

/* The ith claim of the export made with seed. */
void claim_gen(unsigned seed, long i, struct claim *c);

#endif
