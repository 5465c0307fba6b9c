/* SPDX-License-Identifier: MIT */
/*
 * Packet capture files for Wireshark, tshark and tcpreplay: classic pcap with nanosecond
 * timestamps (magic 0xa1b23c4d) or pcapng (one Ethernet interface with if_tsresol 9), each
 * record one Ethernet frame rebuilt by udpframe.h. Writes to a stdio stream the caller owns.
 * Program-side code (tools/).
 */
#ifndef XRELAY_TOOLS_PCAP_H
#define XRELAY_TOOLS_PCAP_H

#include <stdbool.h>
#include <stdio.h>

#include "recset.h"

/* Write the file header (pcap) or section and interface blocks (pcapng). 0 or -EIO. */
int pcap_begin(FILE *f, bool ng);

/*
 * Write @rec as one frame. Returns 0, -EMSGSIZE (the payload cannot be one UDP datagram:
 * nothing written) or -EIO.
 */
int pcap_write(FILE *f, bool ng, const struct recset_rec *rec);

#endif /* XRELAY_TOOLS_PCAP_H */
