/*
 * m3ua_capture: every M3UA message the gateway's associations send and receive, written to a
 * pcap file that Wireshark decodes as it is (M3UA in an SCTP DATA chunk with PPID 3, in an IPv4
 * or IPv6 header with the association's addresses and ports), bounded in size, with rotation.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rate_ctr_group;

enum m3ua_capture_ctr {
	M3UA_CAPTURE_CTR_PACKETS,	/* messages written (or buffered to be) */
	M3UA_CAPTURE_CTR_OCTETS,	/* octets of pcap written, headers included */
	M3UA_CAPTURE_CTR_DROPS,		/* messages lost to a write error */
	M3UA_CAPTURE_CTR_WRITE_ERRORS,	/* open or write failures, each of which stopped it */
	M3UA_CAPTURE_CTR_ROTATIONS,
};

#define M3UA_CAPTURE_DEFAULT_MAX_SIZE	(64ULL << 20)
#define M3UA_CAPTURE_DEFAULT_MAX_FILES	4

struct m3ua_capture_state {
	bool on;
	const char *path;		/* NULL: none configured */
	uint64_t max_size;		/* octets per file */
	unsigned int max_files;		/* rotated files kept: PATH.1 (newest) .. PATH.max_files */
	uint64_t file_octets;		/* in the current file, buffered ones included */
	const char *last_error;		/* why it stopped last, or NULL */
};

/* Once per process, before the rest (again: nothing). Its counters live as long as it. */
void m3ua_capture_init(void);

/* Which sockets are the gateway's M3UA associations (m3ua_link.c); NULL: none is. */
void m3ua_capture_set_owner(bool (*is_assoc)(void *priv, int fd), void *priv);

/* Settings take effect at once: a new path while on closes the file and opens the new one. */
int m3ua_capture_set_path(const char *path);	/* as m3ua_capture_start() */
void m3ua_capture_set_max_size(uint64_t octets);
void m3ua_capture_set_max_files(unsigned int n);

/* Start a new file at the path (a non-empty one there moves to PATH.1, and so on). Returns 0
 * or a negative errno, -EINVAL without a path; a failure is logged, counted, leaves it off. */
int m3ua_capture_start(void);
/* Write what is buffered and close the file. */
void m3ua_capture_stop(void);

void m3ua_capture_get(struct m3ua_capture_state *st);
struct rate_ctr_group *m3ua_capture_ctrs(void);

/* Logging category of its lines (set with the link's, m3ua_link_set_log_subsys). */
extern int m3ua_capture_log_ss;
