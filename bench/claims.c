/*
 * The claim generator (see claims.h): a small xorshift keyed by seed and index, so any claim can
 * be made on its own, in any order, by any of the benchmark's programs.
 */
#include <stdio.h>

#include "claims.h"

static const char *const family[] = {"札幌", "北野", "石狩", "豊平",
                                     "白石", "手稲", "清田", "厚別"};
static const char *const given[] = {"花子", "太郎", "一郎", "直子", "健太", "美咲", "翔", "陽菜"};
static const char *const clinics[] = {"東区中央病院", "北野整形外科クリニック",
                                      "石狩内科医院", "豊平眼科",
                                      "白石総合病院", "手稲リハビリテーション病院"};
static const char *const routes[] = {"自宅-環状通東駅-病院", "自宅-北24条駅-病院",
                                     "自宅-バス停-病院", "自宅-病院"};
static const char *const transports[] = {"地下鉄", "バス", "JR", "市電", "タクシー"};
static const char *const workers[] = {"山田", "佐々木", "高橋", "伊藤"};
static char names[8][8][32];

static unsigned long
mix(unsigned seed, long i, int k)
{
	unsigned long x = (unsigned long)seed * 0x9e3779b97f4a7c15UL ^
	                  (unsigned long)i * 0xbf58476d1ce4e5b9UL ^
	                  (unsigned long)k * 0x94d049bb133111ebUL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9UL;
	x ^= x >> 27;
	return x;
}

void
claim_gen(unsigned seed, long i, struct claim *c)
{
	unsigned long r = mix(seed, i, 1);
	int f = (int)(r % 8), g = (int)(r / 8 % 8), day;

	if (names[0][0][0] == '\0')
		for (int a = 0; a < 8; a++)
			for (int b = 0; b < 8; b++)
				snprintf(names[a][b], sizeof names[a][b], "%s %s", family[a],
				         given[b]);
	snprintf(c->case_no, sizeof c->case_no, "%04ld-%05ld", 100 + i / 100000 % 9000, i % 100000);
	c->householder = names[f][(g + 1) % 8];
	c->name = names[f][g];
	c->clinic = clinics[mix(seed, i, 2) % 6];
	c->route = routes[mix(seed, i, 3) % 4];
	c->transport = transports[mix(seed, i, 4) % 5];
	c->caseworker = workers[mix(seed, i, 5) % 4];
	/* Applied in April 2024 (令和6年), the visit up to 20 days before. */
	day = 21 + (int)(mix(seed, i, 6) % 10);
	c->applied_y = 2024, c->applied_m = 4, c->applied_d = day;
	c->visit_y = 2024, c->visit_m = 4, c->visit_d = day - 1 - (int)(mix(seed, i, 7) % 20);
	c->fare = 180 + 10 * (long)(mix(seed, i, 8) % 70);
	c->trips = 1 + (long)(mix(seed, i, 9) % 8);
	c->amount = c->fare * c->trips * 2;
}
