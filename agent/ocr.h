/*
 * Optical character recognition of scanned pages with Tesseract (Japanese), giving every word
 * with its box and Tesseract's confidence, as pages of a struct scanned. Images are decoded by
 * Leptonica (PNG, JPEG, TIFF with all its pages) and straightened before they are read, since a
 * page fed a degree askew breaks the lines a label and its value share.
 */
#ifndef FORMAGENT_OCR_H
#define FORMAGENT_OCR_H

#include <stddef.h>

#include "scan.h"

/*
 * Pages read by OCR in one file, at most: a page takes Tesseract a few seconds, and the agent
 * reads one file at a time.
 */
#define OCR_MAX_PAGES 20

/* Whether buf starts like an image file ocr_image() reads (PNG, JPEG, TIFF). */
int ocr_is_image(const char *buf, size_t len);

/*
 * Reads every page of the image file in buf into s. -1 with *cause (a new string, for the reason
 * file) when it is not an image that can be read or is too large to read.
 */
int ocr_image(const char *buf, size_t len, struct scanned *s, char **cause);

/*
 * Reads one page given as 8-bit grey pixels (row by row, stride bytes apart) at dpi into s;
 * -1 with *cause when OCR cannot run.
 */
int ocr_grey(const unsigned char *px, int w, int h, int stride, double dpi, struct scanned *s,
             char **cause);

/* Releases the calling thread's Tesseract (loaded on its first page read). */
void ocr_end(void);

#endif
