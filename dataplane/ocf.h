/* SPDX-License-Identifier: MIT */
/*
 * Avro object container files (OCF) as the dataplane writes them, one header for its users
 * (writer.c, worker.c, main.c, the tests and the baseline relay). The parts, one file each:
 * ocf_varint.h (Avro binary varints), ocf_format.h (magic, sync size, codecs), ocf_envelope
 * (record headers), ocf_block (blocks, copied or deflated), ocf_header (the container header),
 * ocf_name (file names and renames), ocf_file (the file life cycle), ocf_reader (reading
 * files back: the walk over blocks that recovery and the tools share), ocf_recover (crash
 * recovery). The I/O loop is not here: blocks are handed to the caller as iovecs to submit
 * (io_uring; tests and benchmarks write them with tests/util/testocf.h). Nothing here logs.
 *
 * Invariants of a file written through these modules:
 *  1. A file name is never reused and nothing is overwritten: .avro.part is created with
 *     O_EXCL, and renamed with RENAME_NOREPLACE semantics (the next free <n> if taken).
 *  2. A block holds at least one record and is written whole (one writev) or cut away at
 *     recovery; blocks end with the header's sync marker, which is how recovery finds them.
 *  3. Only names of the form <channel>-q<queue>-<YYYYmmddTHHMMSSZ>-<n>.avro[.part] inside the
 *     directory given are created, renamed, truncated or removed.
 *
 * Thread safety: objects (struct ocf_block, struct ocf_file) belong to one thread at a time;
 * functions on different objects may run concurrently. The pure encoders never block.
 */
#ifndef XRELAY_OCF_H
#define XRELAY_OCF_H

#include "ocf_block.h"
#include "ocf_envelope.h"
#include "ocf_file.h"
#include "ocf_format.h"
#include "ocf_header.h"
#include "ocf_name.h"
#include "ocf_reader.h"
#include "ocf_recover.h"
#include "ocf_varint.h"

#endif /* XRELAY_OCF_H */
