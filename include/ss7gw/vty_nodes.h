/*
 * VTY nodes of the gateway's own configuration sections. The configuration file is
 * an Osmocom VTY file: libosmo-sigtran's "cs7 instance" section configures the M3UA
 * attachment, and the nodes below configure the layers the gateway implements itself.
 */
#pragma once

#include <osmocom/vty/command.h>

enum ss7gw_vty_node {
	SS7GW_SCCP_NODE = _LAST_OSMOVTY_NODE + 1,	/* "sccp-node": own PC/GT/SSNs, GTT rules */
	SS7GW_TCAP_NODE,				/* "tcap": instance id, timers */
	SS7GW_M3UA_NODE,				/* "m3ua-link": send queue, audits, routes */
	SS7GW_NATS_NODE,				/* "nats": servers, auth, TLS, buffers */
	SS7GW_KV_NODE,					/* "kv": the JetStream Key-Value bucket */
};
