/*
 * The read-back of a written workbook (see xlsxcheck.h): minizip's unzip over the parts, each
 * part's bytes pushed through libxml2's SAX parser with no callbacks, so nothing is built and
 * memory stays at one buffer whatever the part's size. What it cannot see: a write lost inside a
 * part that happens to drop whole elements and leave well-formed XML. make faulttest, which
 * drops each of libxlsxwriter's fwrite calls in turn, found only lost XML declarations of that
 * kind, and those are checked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unzip.h>

#include "xlsxcheck.h"
#include "xmalloc.h"

/*
 * minizip reads through these: pread into a 64 KiB window on one descriptor, rather than stdio,
 * whose every fseek is an lseek and a refill (about fifty of each per small workbook). minizip
 * asks for a few bytes at a time while it reads headers, so the window serves most reads.
 */
#define WINDOW 65536

struct pfile {
	int fd;
	ZPOS64_T off, size;
	ZPOS64_T woff; /* the file offset of win[0] */
	size_t wlen;
	unsigned char win[WINDOW];
};

static voidpf ZCALLBACK
p_open(voidpf opaque, const void *path, int mode)
{
	struct pfile *f;
	struct stat st;
	int fd;

	(void)opaque;
	if ((mode & ZLIB_FILEFUNC_MODE_READWRITEFILTER) != ZLIB_FILEFUNC_MODE_READ ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	f = xmalloc(sizeof *f);
	f->fd = fd;
	f->off = f->woff = 0;
	f->wlen = 0;
	f->size = (ZPOS64_T)st.st_size;
	return f;
}

static uLong ZCALLBACK
p_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
	struct pfile *f = stream;
	unsigned char *out = buf;
	uLong done = 0;
	ssize_t n;
	size_t k;

	(void)opaque;
	while (done < size) {
		if (f->off < f->woff || f->off >= f->woff + f->wlen) {
			/* Large reads (a part's data) skip the window. */
			if (size - done >= WINDOW) {
				do
					n = pread(f->fd, out + done, size - done, (off_t)f->off);
				while (n == -1 && errno == EINTR);
				if (n <= 0)
					break;
				f->off += (ZPOS64_T)n;
				done += (uLong)n;
				continue;
			}
			do
				n = pread(f->fd, f->win, WINDOW, (off_t)f->off);
			while (n == -1 && errno == EINTR);
			if (n <= 0)
				break;
			f->woff = f->off;
			f->wlen = (size_t)n;
		}
		k = (size_t)(f->woff + f->wlen - f->off);
		if (k > size - done)
			k = size - done;
		memcpy(out + done, f->win + (f->off - f->woff), k);
		f->off += k;
		done += (uLong)k;
	}
	return done;
}

static uLong ZCALLBACK
p_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
	(void)opaque, (void)stream, (void)buf, (void)size;
	return 0;
}

static ZPOS64_T ZCALLBACK
p_tell(voidpf opaque, voidpf stream)
{
	(void)opaque;
	return ((struct pfile *)stream)->off;
}

static long ZCALLBACK
p_seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin)
{
	struct pfile *f = stream;

	(void)opaque;
	if (origin == ZLIB_FILEFUNC_SEEK_SET)
		f->off = offset;
	else if (origin == ZLIB_FILEFUNC_SEEK_CUR)
		f->off += offset;
	else if (origin == ZLIB_FILEFUNC_SEEK_END)
		f->off = f->size + offset;
	else
		return -1;
	return 0;
}

static int ZCALLBACK
p_close(voidpf opaque, voidpf stream)
{
	struct pfile *f = stream;

	(void)opaque;
	close(f->fd);
	free(f);
	return 0;
}

static int ZCALLBACK
p_error(voidpf opaque, voidpf stream)
{
	(void)opaque, (void)stream;
	return 0;
}

int
xlsx_is_xml(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcasecmp(name + n - 4, ".xml") == 0) ||
	       (n > 5 && strcasecmp(name + n - 5, ".rels") == 0);
}

/* Reads the current part whole; parses it when it is XML. 0, or -1 with *why (static). */
static int
check_part(unzFile zf, const char *name, int decl, const char **why)
{
	char buf[65536]; /* one per call: workers check workbooks at once */
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctx = NULL;
	int n, bad = 0, rc, first = 1;

	if (unzOpenCurrentFile(zf) != UNZ_OK) {
		*why = "cannot be opened";
		return -1;
	}
	if (xlsx_is_xml(name)) {
		memset(&sax, 0, sizeof sax);
		ctx = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, name);
		if (ctx == NULL) {
			unzCloseCurrentFile(zf);
			*why = "cannot be parsed (no memory)";
			return -1;
		}
		xmlCtxtUseOptions(ctx, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		                           XML_PARSE_HUGE);
	}
	while ((n = unzReadCurrentFile(zf, buf, sizeof buf)) > 0) {
		/*
		 * libxlsxwriter opens every part with an XML declaration; XML does not require one,
		 * so a lost first write would otherwise leave a well-formed part.
		 */
		if (ctx != NULL && decl && first && (n < 6 || memcmp(buf, "<?xml ", 6) != 0))
			bad = 1;
		first = 0;
		if (ctx != NULL && !bad && xmlParseChunk(ctx, buf, n, 0) != 0)
			bad = 1;
	}
	if (n < 0) {
		*why = "is damaged (it does not inflate)";
		bad = 2;
	}
	rc = unzCloseCurrentFile(zf);
	if (!bad && rc == UNZ_CRCERROR) {
		*why = "is damaged (its checksum does not match)";
		bad = 2;
	}
	if (ctx != NULL) {
		if (!bad && xmlParseChunk(ctx, NULL, 0, 1) != 0)
			bad = 1;
		xmlFreeParserCtxt(ctx);
	}
	if (bad == 1)
		*why = "is not whole XML";
	return bad ? -1 : 0;
}

unzFile
xlsx_unzopen(const char *path)
{
	zlib_filefunc64_def io = {p_open, p_read, p_write, p_tell, p_seek, p_close, p_error, NULL};

	return unzOpen2_64(path, &io);
}

static int
check_parts(const char *path, int decl, char **cause)
{
	char name[512];
	const char *why = NULL;
	unzFile zf = xlsx_unzopen(path);
	int rc;

	if (zf == NULL) {
		*cause =
		    xasprintf("the workbook %s came out damaged: it is not a readable zip (a write "
		              "into the scratch folder was lost: is it full?)",
		              path);
		return -1;
	}
	/* minizip does not end a name that fills the buffer; the last byte stays this NUL. */
	name[sizeof name - 1] = '\0';
	for (rc = unzGoToFirstFile(zf); rc == UNZ_OK; rc = unzGoToNextFile(zf)) {
		if (unzGetCurrentFileInfo64(zf, NULL, name, sizeof name - 1, NULL, 0, NULL, 0) !=
		        UNZ_OK ||
		    check_part(zf, name, decl, &why) == -1) {
			*cause =
			    xasprintf("the workbook %s came out damaged: its part %s %s (a write "
			              "into the scratch folder was lost: is it full?)",
			              path, name, why != NULL ? why : "cannot be read");
			unzClose(zf);
			return -1;
		}
	}
	unzClose(zf);
	if (rc != UNZ_END_OF_LIST_OF_FILE) {
		*cause = xasprintf("the workbook %s came out damaged: its list of parts cannot be "
		                   "read",
		                   path);
		return -1;
	}
	return 0;
}

int
xlsx_check(const char *path, char **cause)
{
	return check_parts(path, 1, cause);
}

int
xlsx_check_copy(const char *path, char **cause)
{
	return check_parts(path, 0, cause);
}
