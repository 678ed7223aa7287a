/*
 * m3ua_link: the gateway's attachment to an SS7 network as an M3UA ASP, on libosmo-sigtran
 * 1.6.0's MTP user SAP for SI=3 (the gateway runs SCCP itself; the library's SCCP does no
 * routing). Adds what the library lacks: a bounded send queue, a point code availability
 * table fed by DUNA/DAVA/DUPU, DAUD audits, counters.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

struct osmo_ss7_instance;
struct rate_ctr_group;
struct m3ua_link;

/* Largest MTP-TRANSFER payload the link accepts. libosmo-sigtran 1.6.0 encodes an M3UA DATA
 * into a message buffer with 1536 octets of room and aborts the process beyond it: 8 (common
 * header) + 8 (routing context) + 4 (protocol data tag) + 12 (data header) + payload padded
 * to 4 <= 1536. */
#define M3UA_LINK_MAX_PAYLOAD	1504

#define M3UA_LINK_MAX_AUDIT	16
#define M3UA_LINK_MAX_ROUTES	16

/* What the configuration file says about the link (the "m3ua-link" node, m3ua_vty.c).
 * Point codes stay text until the instance, and so the point code format, is known. */
struct m3ua_link_cfg {
	unsigned int send_queue;	/* bound of the link's own send queue, in messages */
	unsigned int n_audit;
	const char *audit_pc[M3UA_LINK_MAX_AUDIT];	/* audited (DAUD) when an AS comes up */
	unsigned int n_routes;
	struct {
		const char *pc, *mask, *as;
	} route[M3UA_LINK_MAX_ROUTES];	/* DPC/mask -> AS; none: everything to the only AS */
};

enum m3ua_pc_state {
	M3UA_PC_AVAILABLE,
	M3UA_PC_UNAVAILABLE,	/* DUNA, or DUPU for SCCP: SCCP traffic cannot reach it */
	M3UA_PC_CONGESTED,	/* never reported by 1.6.0: it drops SCON without telling users */
};

extern const struct value_string m3ua_pc_state_names[];

/* Called up from the select loop. Every callback is optional. */
struct m3ua_link_ops {
	/* An MTP-TRANSFER.ind for SI=3; data is valid for the duration of the call. */
	void (*transfer_ind)(void *priv, uint32_t opc, uint32_t dpc, uint8_t sls,
			     const uint8_t *data, size_t len);
	/* The network told us about a point code (or the table was reset on link up). */
	void (*pc_state)(void *priv, uint32_t pc, enum m3ua_pc_state state);
	/* Link up: at least one AS of the instance is ACTIVE; down: none. */
	void (*link_state)(void *priv, bool up);
	/* The send queue has drained to half its bound after a -ENOBUFS. */
	void (*writable)(void *priv);
};

enum m3ua_link_ctr {
	M3UA_LINK_CTR_RX_MSGS,
	M3UA_LINK_CTR_RX_OCTETS,
	M3UA_LINK_CTR_RX_DROP_SI,	/* not SCCP */
	M3UA_LINK_CTR_TX_MSGS,		/* handed to the library */
	M3UA_LINK_CTR_TX_OCTETS,
	M3UA_LINK_CTR_TX_DROP_EMSGSIZE,
	M3UA_LINK_CTR_TX_DROP_ENOBUFS,
	M3UA_LINK_CTR_TX_DROP_ENETDOWN,
	M3UA_LINK_CTR_TX_DROP_EHOSTUNREACH,
	M3UA_LINK_CTR_TX_DROP_LINKDOWN,	/* queued, then the link went down */
	M3UA_LINK_CTR_QUEUE_HWM,	/* highest send queue depth so far */
	M3UA_LINK_CTR_PC_CHANGES,
	M3UA_LINK_CTR_LINK_CHANGES,
	M3UA_LINK_CTR_DAUD_SENT,
	M3UA_LINK_CTR_RX_DROP_DPC,	/* DATA for a point code that is not ours */
	M3UA_LINK_CTR_RX_DROP_BAD_DATA,	/* DATA too short for a routing label: ERR sent */
	M3UA_LINK_CTR_RX_DROP_TOO_LONG,	/* longer than the library can take (2048 octets) */
	M3UA_LINK_CTR_ASP_STUCK,	/* ASPs disconnected: connected, never active again */
	M3UA_LINK_CTR_ASPAC,		/* ASPAC sent by the link for an AS without an active ASP */
};

/* Received M3UA is checked before libosmo-sigtran 1.6.0 parses it (m3ua_rx.h): a DATA whose
 * Protocol Data cannot hold its routing label is answered with ERR Parameter Field Error, one
 * for a DPC that is not ours or for another SI than SCCP is dropped (the library would route
 * it back to the SG, or drop it uncounted), a message longer than 2048 octets is dropped. An
 * ASP whose association is up but which stays inactive while no AS is active (e.g. after an
 * unsolicited ASPIA Ack or ASPDN Ack; the library never asks again) is disconnected after
 * M3UA_LINK_STUCK_MS and reconnects. All of it counted and logged. */
#define M3UA_LINK_STUCK_MS	3000

/* Register as the SI=3 MTP user of inst, set up routes and the availability listener. The
 * instance's ASPs and ASs come from its configuration (the "cs7 instance" section); client
 * ASPs that were never started are started. Returns NULL with a log line on error (bad route
 * or audit point code, SI=3 taken, AS unknown). The instance must have been configured
 * before: call after reading the configuration file. */
struct m3ua_link *m3ua_link_create(void *ctx, struct osmo_ss7_instance *inst,
				   const struct m3ua_link_cfg *cfg, const struct m3ua_link_ops *ops,
				   void *priv);
/* Destroy the instance's client ASPs (the peer sees the associations close), drop the
 * queue, unregister. For shutdown: the instance has no client ASPs afterwards. */
void m3ua_link_destroy(struct m3ua_link *link);

/* MTP-TRANSFER.req of one SCCP message towards dpc. The data is copied.
 * Returns 0 (queued), -EMSGSIZE (len > M3UA_LINK_MAX_PAYLOAD), -ENETDOWN (no ACTIVE AS on
 * the route to dpc), -EHOSTUNREACH (dpc known unavailable), -ENOBUFS (send queue full; the
 * writable callback follows). Each refusal is counted. */
int m3ua_link_transfer_req(struct m3ua_link *link, uint32_t dpc, uint8_t sls,
			   const uint8_t *data, size_t len);

bool m3ua_link_is_up(const struct m3ua_link *link);
/* Shutting down: every active ASP of ours asks to go inactive (ASPIA, RFC 4666 4.3.4.3), so
 * the signalling gateway sends its traffic elsewhere; the link no longer re-activates or
 * restarts them. */
void m3ua_link_drain(struct m3ua_link *link);
enum m3ua_pc_state m3ua_link_pc_state(const struct m3ua_link *link, uint32_t pc);
unsigned int m3ua_link_queue_depth(const struct m3ua_link *link);
struct rate_ctr_group *m3ua_link_ctrs(struct m3ua_link *link);
struct osmo_ss7_instance *m3ua_link_instance(const struct m3ua_link *link);

/* Logging category of the link's own lines (default: libosmo-sigtran's DLSS7). */
void m3ua_link_set_log_subsys(int subsys);

/* The "m3ua-link" VTY node (SS7GW_M3UA_NODE), filling *cfg (owned by ctx). */
void m3ua_link_vty_init(void *ctx, struct m3ua_link_cfg *cfg);
