/*
 * m3ua_rx: what the link checks in every M3UA message before libosmo-sigtran 1.6.0 sees it.
 * The library reads the routing label of a DATA without checking the Protocol Data length
 * (heap over-read; an empty one aborts), routes a DATA for a foreign DPC back to the SG, and
 * takes a message longer than its 2048-octet buffer for several. Internal to src/m3ua.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct m3ua_link;
struct osmo_ss7_asp;

/* The library's receive buffer (M3UA_MSG_SIZE in 1.6.0): a longer message arrives in pieces,
 * each taken for a message of its own. */
#define M3UA_RX_MAX_LEN	2048

enum m3ua_rx_verdict {
	M3UA_RX_PASS,		/* the library handles it (including its own ERR answers) */
	M3UA_RX_BAD_DATA,	/* DATA whose Protocol Data cannot hold a routing label: ERR 0x12 */
	M3UA_RX_FOREIGN_DPC,	/* DATA for a DPC that is not ours: dropped */
	M3UA_RX_NOT_SCCP,	/* DATA for another service indicator than SCCP: dropped */
};

/* Verdict on one whole M3UA message of len octets as received. is_local tells whether a
 * point code is ours. Reads nothing outside msg[0..len). Walks the parameters exactly as
 * the library does, so that a parameter the library would not see does not count. */
enum m3ua_rx_verdict m3ua_rx_check(const uint8_t *msg, size_t len,
				   bool (*is_local)(void *priv, uint32_t pc), void *priv);

/* The ERR (RFC 4666 3.8.1) for a refused message: error code, first 40 octets as Diagnostic
 * Information. Writes at most M3UA_RX_ERR_MAX octets to out; returns the length. */
#define M3UA_RX_ERR_MAX	(8 + 8 + 4 + 40)
size_t m3ua_rx_err_encode(uint8_t *out, uint32_t code, const uint8_t *msg, size_t len);

/* Put the check in front of the library on asp's stream client (once per ASP: libosmo-netif
 * 1.2 keeps the callback across reconnections). Verdicts go to m3ua_link_rx_refused(). */
int m3ua_rx_guard_install(struct m3ua_link *link, struct osmo_ss7_asp *asp);
/* Before the ASP goes away: the library's own callback back in place. */
void m3ua_rx_guard_remove(struct osmo_ss7_asp *asp);

/* m3ua_link.c: count and log a refused message (len: whole length, even when truncated). */
void m3ua_link_rx_refused(struct m3ua_link *link, struct osmo_ss7_asp *asp,
			  enum m3ua_rx_verdict v, const uint8_t *msg, size_t len);
void m3ua_link_rx_too_long(struct m3ua_link *link, struct osmo_ss7_asp *asp, size_t len);
bool m3ua_link_pc_is_local(void *link, uint32_t pc);
