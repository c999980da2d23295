/*++
 * NAME
 *	dmarc_report_writer 3h
 * SUMMARY
 *	DMARC report recording off the milter threads: a queue and one
 *	writer thread that commits batches
 * SYNOPSIS
 *	#include "dmarc_report_writer.h"
 * DESCRIPTION
 *	ma_report_record() writes three keys, each its own commit (with
 *	LMDB sync=data: an fdatasync each), in the milter thread that
 *	evaluated the message. The writer takes that off the hot path:
 *	ma_report_writer_submit() copies the row into a bounded queue and
 *	returns; one thread per writer takes everything queued, adds
 *	identical rows up, and writes the lot in one store transaction
 *	(ma_report_write_prepared()), at most every MA_REPORT_WRITER_MS
 *	(config dmarc_report_batch_ms) or when MA_REPORT_WRITER_BATCH rows
 *	wait.
 *
 *	Nothing is dropped: when the queue is full the submitting thread
 *	records its row itself (the old, slower way), and
 *	ma_report_writer_free() (also run at exit for the process-wide one)
 *	writes what is queued before it returns. A failed batch is logged
 *	(the store's text) and, like a failed single record, changes no
 *	verdict.
 *--*/
#ifndef MA_DMARC_REPORT_WRITER_H
#define MA_DMARC_REPORT_WRITER_H

#include <stdint.h>
#include <time.h>
#include "dmarc_report.h"

#define MA_REPORT_WRITER_QUEUE 4096
#define MA_REPORT_WRITER_BATCH 256
#define MA_REPORT_WRITER_MS 200

struct ma_report_writer;

struct ma_report_writer *ma_report_writer_new(struct store *store, uint32_t ttl,
					      const char **error_r);
/* Write what is queued, stop the thread, free; *w set to NULL. */
void ma_report_writer_free(struct ma_report_writer **w);
/* Queue one evaluation (copied). 0 queued or written, -1 with *error_r
   when the queue was full and the direct write failed. */
int ma_report_writer_submit(struct ma_report_writer *w, const struct ma_report_row *row,
			    time_t now, const char **error_r);

/* The process-wide writer of store (created at the first call, freed
   at exit), for the milter's report stage; ttl and batch_ms (the most a
   row waits, 0: MA_REPORT_WRITER_MS) follow the config at every call.
   NULL with *error_r. */
struct ma_report_writer *ma_report_writer_get(struct store *store, uint32_t ttl,
					      unsigned batch_ms, const char **error_r);

struct ma_report_writer_stats {
	uint64_t rows, commits, direct, failed;
};
void ma_report_writer_stats(struct ma_report_writer *w, struct ma_report_writer_stats *s);

#endif
