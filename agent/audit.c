/*
 * Appending to and verifying the hash-chained audit log. Records are built with jansson
 * and hashed with hash.c; the only text assembled here is the hash member appended to jansson's
 * canonical output, which holds nothing but hex digits.
 *
 * Lessons taken from journald's sealing CVEs (2023-31438, 2023-31439): a verifier must not trust
 * the end of the file to be the end of the log (a head copied off the machine catches truncation),
 * and every record is bound to the one before it, so a tail cannot be rewritten and re-sealed
 * without the chain breaking at the first changed record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "hash.h"
#include "spool.h"
#include "xmalloc.h"

#define ZERO_HASH       "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_SUFFIX_LEN (sizeof ",\"hash\":\"\"}" - 1 + 64)

struct audit {
	char *dir;
	int dirfd;
	int lockfd; /* AUDIT_LOCK, locked for as long as the log is open: one writer */
	int fd;
	off_t good;   /* the open file's size after its last whole record */
	int unsynced; /* records written to fd since its last fsync (audit_append_unsynced()) */
	char day[11]; /* the date of the open file */
	unsigned char *key;
	size_t keylen;
	int64_t seq;
	char prev[HASH_HEX];
	char *head_file; /* where the head is kept after each append (audit_keep_head()), or NULL */
};

void
audit_now(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	char z[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof z, "%z", &tm);
	/* RFC 3339 writes the offset as +09:00. */
	snprintf(buf + strlen(buf), 32 - strlen(buf), "%.3s:%.2s", z, z + 3);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
audit_files(const char *dir, size_t *n)
{
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0, len;
	DIR *dp;

	*n = 0;
	if ((dp = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len != strlen("audit-YYYY-MM-DD.jsonl") ||
		    strncmp(de->d_name, "audit-", 6) != 0 ||
		    strcmp(de->d_name + len - 6, ".jsonl") != 0)
			continue;
		xgrow(&v, &cap, *n, sizeof *v);
		v[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	if (*n > 1)
		qsort(v, *n, sizeof *v, by_name);
	return v;
}

void
audit_files_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
read_key(struct audit *a, const char *path, char **cause)
{
	struct stat st;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*cause = xasprintf("cannot open the audit key %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < 16 || st.st_size > 4096) {
		*cause = xasprintf("the audit key %s must be a file of 16 to 4096 bytes", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*cause = xasprintf("the audit key %s is readable by others (mode %03o): it must be "
		                   "readable by the agent only (chmod 600)",
		                   path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	a->key = xmalloc((size_t)st.st_size);
	r = read(fd, a->key, (size_t)st.st_size);
	close(fd);
	if (r != st.st_size) {
		*cause = xasprintf("cannot read the audit key %s", path);
		return -1;
	}
	a->keylen = (size_t)r;
	return 0;
}

/*
 * Splits a line into its canonical record (a new string: the bytes before ,"hash": and the
 * closing brace) and its hash. NULL if the line does not end as a record must.
 */
static char *
split_line(const char *line, size_t len, size_t *canon_len, char hash[HASH_HEX])
{
	size_t i, cl;
	char *canon;

	if (len < HASH_SUFFIX_LEN + 2 || line[len - 1] != '}' || line[len - 2] != '"')
		return NULL;
	cl = len - HASH_SUFFIX_LEN;
	if (memcmp(line + cl, ",\"hash\":\"", 9) != 0)
		return NULL;
	for (i = 0; i < 64; i++) {
		char c = line[cl + 9 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return NULL;
		hash[i] = c;
	}
	hash[64] = '\0';
	canon = xmalloc(cl + 2);
	memcpy(canon, line, cl);
	canon[cl] = '}';
	canon[cl + 1] = '\0';
	*canon_len = cl + 1;
	return canon;
}

/*
 * Calls fn with each whole record of fp and its hash, in order, until fn returns non-zero. Lines
 * that are not records are passed over: verify is what reports them. One line is in memory at a
 * time, so a log of large records (a big file's rows) is never read whole. *good, when not NULL,
 * gets the offset just past the last complete line: what follows it a crash left half written.
 */
static void
records_in(FILE *fp, int (*fn)(void *ctx, json_t *rec, const char *hash), void *ctx, off_t *good)
{
	char *line = NULL, *canon, hash[HASH_HEX];
	size_t cap = 0, cl;
	ssize_t len;
	off_t at = 0;
	json_t *rec;
	int stop = 0;

	while (!stop && (len = getline(&line, &cap, fp)) > 0 && line[len - 1] == '\n') {
		at += len;
		if ((canon = split_line(line, (size_t)len - 1, &cl, hash)) == NULL)
			continue;
		rec = json_loadb(canon, cl, 0, NULL);
		free(canon);
		if (rec == NULL)
			continue;
		stop = fn(ctx, rec, hash);
		json_decref(rec);
	}
	free(line);
	if (good != NULL)
		*good = at;
}

/* The chain's head follows each record of the log as it is read. */
static int
take_record(void *ctx, json_t *rec, const char *hash)
{
	struct audit *a = ctx;

	a->seq = json_integer_value(json_object_get(rec, "seq"));
	memcpy(a->prev, hash, HASH_HEX);
	return 0;
}

/*
 * Reads one file: takes the last record's seq and hash, and cuts off a last line left incomplete
 * by a crash.
 */
static int
load_file(struct audit *a, const char *path, int repair, char **cause)
{
	FILE *fp;
	struct stat st;
	off_t good;

	if ((fp = fopen(path, repair ? "r+e" : "re")) == NULL) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1) {
		*cause = xasprintf("cannot stat %s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	records_in(fp, take_record, a, &good);
	if (ferror(fp)) {
		*cause = xasprintf("cannot read %s", path);
		fclose(fp);
		return -1;
	}
	if (repair && good < st.st_size &&
	    (ftruncate(fileno(fp), good) == -1 || fsync(fileno(fp)) == -1)) {
		*cause = xasprintf("cannot cut the incomplete last line of %s: %s", path,
		                   strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* The pid written in a lock file, or 0. */
static long
lock_holder(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Locks AUDIT_LOCK in the folder for the life of the descriptor returned, and writes this
 * process's pid in it for the one refused. Two writers would each cut the day's file back to
 * their own idea of its end and fork the chain. -1 with *cause naming the holder.
 */
static int
take_lock(int dirfd, const char *dir, char **cause)
{
	int fd = openat(dirfd, AUDIT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	char pid[24];

	if (fd == -1) {
		*cause = xasprintf("cannot open %s/%s: %s", dir, AUDIT_LOCK, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			*cause =
			    xasprintf("the audit folder %s is in use by another formagent (pid "
			              "%ld): one audit log has one writer; give each agent its own "
			              "audit folder",
			              dir, lock_holder(fd));
		else
			*cause =
			    xasprintf("cannot lock %s/%s: %s", dir, AUDIT_LOCK, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		*cause = xasprintf("cannot write %s/%s: %s", dir, AUDIT_LOCK, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Keeps the head (SEQ:HASH) in a->head_file: a temporary name and a rename, not fsynced. The
 * record itself was fsynced first, so the file is never ahead of the log; a power cut may leave
 * it behind, and a head behind the end is still in the log. A failure to write it is not the
 * record's: the check at the next start then proves less, never wrongly.
 */
static void
write_head(const struct audit *a)
{
	char *tmp, line[HASH_HEX + 32];
	int fd, n, ok;

	if (a->head_file == NULL)
		return;
	tmp = xasprintf("%s.tmp", a->head_file);
	n = snprintf(line, sizeof line, "%" PRId64 ":%s\n", a->seq, a->prev);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640)) != -1) {
		ok = write_all(fd, line, (size_t)n) == 0;
		if (close(fd) == 0 && ok)
			(void)rename(tmp, a->head_file);
		else
			unlink(tmp);
	}
	free(tmp);
}

int
audit_keep_head(struct audit *a, const char *path, const char *key_file, char **cause)
{
	char line[HASH_HEX + 32], *msg = NULL, **files;
	size_t len = 0, n;
	FILE *fp, *out;
	int rc;

	free(a->head_file);
	a->head_file = xstrdup(path);
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT) {
			*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		if (a->seq > 0)
			write_head(a); /* from now on */
		return 0;
	}
	if (fgets(line, sizeof line, fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0') {
		write_head(a); /* empty: a crash between its creation and its write */
		return 0;
	}
	files = audit_files(a->dir, &n);
	out = open_memstream(&msg, &len);
	rc = audit_verify(files, n, line, key_file, 0, out);
	fclose(out);
	audit_files_free(files, n);
	if (rc != 0) {
		/* The kept head stays as it is until an administrator removes it: still held then.
		 */
		free(a->head_file);
		a->head_file = NULL;
		msg[strcspn(msg, "\n")] = '\0';
		*cause =
		    xasprintf("the audit log is not what this agent last wrote (its head was %s, "
		              "kept in %s): %s",
		              line, path, msg);
		free(msg);
		return 1;
	}
	free(msg);
	return 0;
}

struct audit *
audit_open(const char *dir, const char *key_file, char **cause)
{
	struct audit *a = xcalloc(1, sizeof *a);
	char **files;
	size_t n, i;

	a->fd = a->lockfd = -1;
	a->dir = xstrdup(dir);
	memcpy(a->prev, ZERO_HASH, HASH_HEX);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create the audit folder %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open the audit folder %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((a->lockfd = take_lock(a->dirfd, dir, cause)) == -1)
		goto fail;
	if (key_file != NULL && read_key(a, key_file, cause) == -1)
		goto fail;
	/*
	 * The head is the newest file's last record; an older file is read only when the newest
	 * holds none (a crash cut its only line).
	 */
	files = audit_files(dir, &n);
	for (i = n; i > 0 && a->seq == 0; i--)
		if (load_file(a, files[i - 1], i == n, cause) == -1) {
			audit_files_free(files, n);
			goto fail;
		}
	audit_files_free(files, n);
	return a;
fail:
	audit_close(a);
	return NULL;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd != -1) {
		if (a->unsynced)
			(void)fsync(a->fd);
		close(a->fd);
	}
	if (a->lockfd != -1)
		close(a->lockfd); /* and with it the lock */
	if (a->dirfd > 0)
		close(a->dirfd);
	if (a->key != NULL)
		explicit_bzero(a->key, a->keylen);
	free(a->key);
	free(a->head_file);
	free(a->dir);
	free(a);
}

/* Opens the file for the day of time (YYYY-MM-DD...), creating it 0640. */
static int
open_day(struct audit *a, const char *time, char **cause)
{
	char name[32];
	int fd, created = 0;

	if (a->fd != -1 && strncmp(a->day, time, 10) == 0)
		return 0;
	snprintf(name, sizeof name, "audit-%.10s.jsonl", time);
	fd = openat(a->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		fd = openat(a->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
		            0640);
		created = 1;
	}
	if (fd == -1) {
		*cause = xasprintf("cannot open %s/%s: %s", a->dir, name, strerror(errno));
		return -1;
	}
	if (created && (fchmod(fd, 0640) == -1 || fsync(a->dirfd) == -1)) {
		*cause = xasprintf("cannot create %s/%s: %s", a->dir, name, strerror(errno));
		close(fd);
		/* Not durably created: removed, so the next try creates it and syncs again. */
		(void)unlinkat(a->dirfd, name, 0);
		return -1;
	}
	/* Parts written to the day before must be durable before a record chains to them. */
	if (a->fd != -1 && a->unsynced && fsync(a->fd) == -1) {
		*cause = xasprintf("cannot write the audit log %s/audit-%s.jsonl: %s", a->dir,
		                   a->day, strerror(errno));
		close(fd);
		return -1;
	}
	if (a->fd != -1)
		close(a->fd);
	a->unsynced = 0;
	a->fd = fd;
	a->good = lseek(fd, 0, SEEK_END);
	memcpy(a->day, time, 10);
	a->day[10] = '\0';
	return 0;
}

static int
append(struct audit *a, const char *event, json_t *rec, int sync, char **cause)
{
	char time[32], hash[HASH_HEX], *canon, *line;
	json_t *obj = json_deep_copy(rec);
	size_t cl;
	int rc = -1;

	audit_now(time);
	json_object_set_new(obj, "seq", json_integer(a->seq + 1));
	json_object_set_new(obj, "time", json_string(time));
	json_object_set_new(obj, "event", json_string(event));
	json_object_set_new(obj, "prev", json_string(a->prev));
	json_object_del(obj, "hash");
	canon = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (canon == NULL) {
		*cause = xstrdup("cannot encode the audit record");
		return -1;
	}
	cl = strlen(canon);
	if (hash_buf(a->key, a->keylen, canon, cl, hash) == -1) {
		*cause = xstrdup("cannot hash the audit record");
		free(canon);
		return -1;
	}
	/* canon ends in '}': the hash goes in as the last member. */
	line = xasprintf("%.*s,\"hash\":\"%s\"}\n", (int)(cl - 1), canon, hash);
	if (open_day(a, time, cause) == -1)
		goto out;
	/* Part of a record that failed earlier must not stay in front of this one. */
	if (lseek(a->fd, 0, SEEK_END) != a->good && ftruncate(a->fd, a->good) == -1) {
		*cause = xasprintf("cannot cut a partly written record from %s/audit-%s.jsonl: %s",
		                   a->dir, a->day, strerror(errno));
		goto out;
	}
	if (write_all(a->fd, line, strlen(line)) == -1 || (sync && fsync(a->fd) == -1)) {
		*cause = xasprintf("cannot write the audit log %s/audit-%s.jsonl: %s", a->dir,
		                   a->day, strerror(errno));
		/*
		 * Part of the line may be on disk: cut it now (truncating frees space, so this
		 * works on a full disk), and again before the next append if this fails.
		 */
		if (ftruncate(a->fd, a->good) == 0)
			(void)fsync(a->fd);
		goto out;
	}
	a->good += (off_t)strlen(line);
	a->unsynced = !sync;
	a->seq++;
	memcpy(a->prev, hash, HASH_HEX);
	if (sync)
		write_head(a); /* never ahead of what is durable */
	rc = 0;
out:
	free(line);
	free(canon);
	return rc;
}

int
audit_append(struct audit *a, const char *event, json_t *rec, char **cause)
{
	return append(a, event, rec, 1, cause);
}

int
audit_append_unsynced(struct audit *a, const char *event, json_t *rec, char **cause)
{
	return append(a, event, rec, 0, cause);
}

/* Verification state across files. */
struct verify {
	FILE *out;
	const unsigned char *key;
	size_t keylen;
	int64_t count, first, last;
	char prev[HASH_HEX];
	const char *head;
	int head_found;
	int partial;
};

static int
bad(struct verify *v, const char *file, size_t line, int64_t seq, const char *what)
{
	if (seq >= 0)
		fprintf(v->out, "%s:%zu: record %" PRId64 ": %s\n", file, line, seq, what);
	else
		fprintf(v->out, "%s:%zu: %s\n", file, line, what);
	return 1;
}

/* Checks one line of a log (len bytes, without its line end): 0, or 1 when reported. */
static int
verify_line(struct verify *v, const char *path, size_t lineno, const char *line, size_t len)
{
	char *canon, *canon2, hash[HASH_HEX], want[HASH_HEX], head[256];
	size_t cl;
	int64_t seq;
	int rc, plain;
	json_t *rec;
	const char *prev;

	if ((canon = split_line(line, len, &cl, hash)) == NULL ||
	    (rec = json_loadb(canon, cl, 0, NULL)) == NULL) {
		free(canon);
		return bad(v, path, lineno, -1, "altered: not a record of this log");
	}
	seq = json_integer_value(json_object_get(rec, "seq"));
	prev = json_string_value(json_object_get(rec, "prev"));
	/* The bytes must be exactly the canonical form, so no byte can change unseen. */
	canon2 = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (canon2 == NULL || strlen(canon2) != cl || memcmp(canon2, canon, cl) != 0 ||
	    !json_is_integer(json_object_get(rec, "seq")) || prev == NULL) {
		free(canon2);
		free(canon);
		json_decref(rec);
		return bad(v, path, lineno, seq, "altered: the record is not in canonical form");
	}
	free(canon2);
	rc = hash_buf(v->key, v->keylen, canon, cl, want);
	if (rc == -1 || strcmp(want, hash) != 0) {
		/*
		 * With a key, a record whose plain SHA-256 matches was not made with it: a
		 * plain chain where the configuration promises HMAC, which anyone could
		 * have rewritten.
		 */
		plain = v->key != NULL && hash_buf(NULL, 0, canon, cl, want) == 0 &&
		        strcmp(want, hash) == 0;
		free(canon);
		json_decref(rec);
		return bad(v, path, lineno, seq,
		           plain ? "not made with the key: a plain SHA-256 chain, where the "
		                   "configuration names a key_file (HMAC-SHA-256)"
		           : v->key != NULL
		               ? "altered: its HMAC does not match (or the key is wrong)"
		               : "altered: its hash does not match its contents (or the log is "
		                 "HMAC-chained: give its key)");
	}
	free(canon);
	if (v->count > 0) {
		if (seq <= v->last) {
			json_decref(rec);
			return bad(v, path, lineno, seq,
			           "reordered: its sequence number is not after the one before");
		}
		if (seq != v->last + 1) {
			snprintf(head, sizeof head,
			         "missing: records %" PRId64 " to %" PRId64 " are not in the log",
			         v->last + 1, seq - 1);
			json_decref(rec);
			return bad(v, path, lineno, seq, head);
		}
		if (strcmp(prev, v->prev) != 0) {
			json_decref(rec);
			return bad(v, path, lineno, seq,
			           "altered: it does not chain to the record before it");
		}
	} else {
		v->first = seq;
		if (seq != 1 && !v->partial) {
			snprintf(head, sizeof head,
			         "missing: the log starts at record %" PRId64
			         "; records 1 to %" PRId64
			         " are not in the files given (--partial checks a later "
			         "part alone)",
			         seq, seq - 1);
			json_decref(rec);
			return bad(v, path, lineno, seq, head);
		}
		if (seq == 1 && strcmp(prev, ZERO_HASH) != 0) {
			json_decref(rec);
			return bad(v, path, lineno, seq,
			           "altered: the first record must chain to zeros");
		}
	}
	v->last = seq;
	memcpy(v->prev, hash, HASH_HEX);
	v->count++;
	if (v->head != NULL) {
		snprintf(head, sizeof head, "%" PRId64 ":%s", seq, hash);
		if (strcmp(head, v->head) == 0)
			v->head_found = 1;
	}
	json_decref(rec);
	return 0;
}

static int
verify_file(struct verify *v, const char *path)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		fprintf(v->out, "%s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	/* One line at a time: a day of large records is never in memory whole. */
	while (rc == 0 && (len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[len - 1] != '\n')
			rc = bad(v, path, lineno, -1,
			         "truncated: the last line is incomplete (no line end)");
		else
			rc = verify_line(v, path, lineno, line, (size_t)len - 1);
	}
	if (rc == 0 && ferror(fp)) {
		fprintf(v->out, "%s: cannot read: %s\n", path, strerror(errno));
		rc = 1;
	}
	free(line);
	fclose(fp);
	return rc;
}

int
audit_verify(char *const *files, size_t n, const char *head, const char *key_file, int partial,
             FILE *out)
{
	struct audit keyholder;
	struct verify v;
	char *cause = NULL;
	size_t i;

	memset(&v, 0, sizeof v);
	memset(&keyholder, 0, sizeof keyholder);
	v.out = out;
	v.head = head;
	v.partial = partial;
	if (key_file != NULL) {
		if (read_key(&keyholder, key_file, &cause) == -1) {
			fprintf(out, "%s\n", cause);
			free(cause);
			return 1;
		}
		v.key = keyholder.key;
		v.keylen = keyholder.keylen;
	}
	for (i = 0; i < n; i++)
		if (verify_file(&v, files[i]) != 0) {
			free(keyholder.key);
			return 1;
		}
	free(keyholder.key);
	if (v.count == 0) {
		fprintf(out, "no records\n");
		return 1;
	}
	if (head != NULL && !v.head_found) {
		fprintf(out,
		        "truncated or rewritten: the head %s taken earlier is not in the log "
		        "(it ends at record %" PRId64 ")\n",
		        head, v.last);
		return 1;
	}
	fprintf(out,
	        "OK: %" PRId64 " records, first %" PRId64 ", last %" PRId64 ", head %" PRId64
	        ":%s; checked %s\n",
	        v.count, v.first, v.last, v.last, v.prev,
	        v.key != NULL ? "as an HMAC-SHA-256 chain with the key"
	                      : "as a plain SHA-256 chain (no key: anyone who can write the files "
	                        "could have rewritten it whole)");
	return 0;
}

struct each {
	int (*fn)(void *ctx, json_t *rec);
	void *ctx;
	int stop;
};

static int
each_record(void *ctx, json_t *rec, const char *hash)
{
	struct each *e = ctx;

	(void)hash;
	return e->stop = e->fn(e->ctx, rec);
}

int
audit_each(char *const *files, size_t n, int (*fn)(void *ctx, json_t *rec), void *ctx)
{
	struct each e = {fn, ctx, 0};
	FILE *fp;
	size_t i;
	int err;

	for (i = 0; i < n && !e.stop; i++) {
		if ((fp = fopen(files[i], "re")) == NULL)
			return -1;
		records_in(fp, each_record, &e, NULL);
		err = ferror(fp);
		fclose(fp);
		if (err)
			return -1;
	}
	return 0;
}

int
audit_head(char *const *files, size_t n, FILE *out)
{
	struct audit a;
	char *cause = NULL;
	size_t i;

	memset(&a, 0, sizeof a);
	memcpy(a.prev, ZERO_HASH, HASH_HEX);
	for (i = 0; i < n; i++)
		if (load_file(&a, files[i], 0, &cause) == -1) {
			fprintf(out, "%s\n", cause);
			free(cause);
			return 1;
		}
	if (a.seq == 0)
		return 1;
	fprintf(out, "%" PRId64 ":%s\n", a.seq, a.prev);
	return 0;
}
