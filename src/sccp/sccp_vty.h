/*
 * VTY commands of the SCCP node: the "sccp-node" section edits a
 * struct sccp_node_cfg, from which the gateway then creates the node.
 */
#pragma once

#include <osmocom/vty/vty.h>

#include "sccp_node.h"

/* Install the commands; they edit *cfg (kept by reference). Call after vty_init(). */
void sccp_vty_init(struct sccp_node_cfg *cfg);
/* The running node the "show sccp-node" commands report on (NULL: none). */
void sccp_vty_set_node(struct sccp_node *node);
/* The "sccp-node" section of cfg as a config file writes it. */
int sccp_vty_write_cfg(struct vty *vty, const struct sccp_node_cfg *cfg);
