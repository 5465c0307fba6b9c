// SPDX-License-Identifier: MIT
/*
 * The AF_XDP transmit path's frames (dataplane/xsktx.c): which destinations it takes, the
 * interface look-up on a real veth in a private namespace, and the headers checked byte by byte
 * the way a receiver's kernel checks them: MAC of the group, IPv4 header checksum, lengths,
 * ports, TTL, DF. That the frames really arrive is proven end to end (tests/net/test_e2e.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "../../dataplane/xsktx.h"
#include "testenv.h"

#define VETH "xt0"

static struct xrelay_dest mkdest(const char *v4, unsigned int port, unsigned int ttl,
				 const char *ifname)
{
	struct xrelay_dest d;

	memset(&d, 0, sizeof(d));
	d.addr[10] = 0xff;
	d.addr[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, v4, d.addr + 12), 1);
	d.port = htons((uint16_t)port);
	d.ttl = (uint8_t)ttl;
	d.every = 1;
	strcpy(d.ifname, ifname);
	return d;
}

static struct xsktx_iface mkiface(void)
{
	struct xsktx_iface ifc = { .mac = { 0x02, 0, 0x5e, 0x10, 0, 0x01 }, .mtu = 1500 };

	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", &ifc.addr), 1);
	return ifc;
}

static unsigned int csum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void test_which_destinations(void **state)
{
	struct xsktx_iface ifc = mkiface();
	struct xrelay_dest d;
	struct xsktx_hdr h;

	(void)state;
	d = mkdest("239.1.2.3", 6000, 1, VETH);
	assert_true(xsktx_dest(&d, VETH, &ifc, &h));
	assert_int_equal(h.max_payload, 1500 - 28);
	/* A unicast address needs a neighbour look-up: the socket's. */
	d = mkdest("192.0.2.9", 6000, 1, VETH);
	assert_false(xsktx_dest(&d, VETH, &ifc, &h));
	/* Another interface than the capture one, or none named (routing decides). */
	d = mkdest("239.1.2.3", 6000, 1, "eth9");
	assert_false(xsktx_dest(&d, VETH, &ifc, &h));
	d = mkdest("239.1.2.3", 6000, 1, "");
	assert_false(xsktx_dest(&d, VETH, &ifc, &h));
	/* IPv6 groups go through their sockets. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(inet_pton(AF_INET6, "ff0e::1", d.addr), 1);
	d.port = htons(6000);
	d.ttl = 1;
	strcpy(d.ifname, VETH);
	assert_false(xsktx_dest(&d, VETH, &ifc, &h));
	/* A name that only starts like the capture interface's is another one. */
	d = mkdest("239.1.2.3", 6000, 1, VETH "x");
	assert_false(xsktx_dest(&d, VETH, &ifc, &h));
}

static void test_headers(void **state)
{
	static const uint32_t lens[] = { 0, 1, 64, 1000, 1472 };
	struct xsktx_iface ifc = mkiface();
	struct xrelay_dest d = mkdest("239.129.2.3", 6001, 7, VETH);
	struct xsktx_hdr h;
	uint8_t f[XSKTX_HDR_LEN];
	size_t i;

	(void)state;
	assert_true(xsktx_dest(&d, VETH, &ifc, &h));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const uint8_t *ip = f + 14, *udp = f + 34;
		static const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };

		memset(f, 0xaa, sizeof(f));
		xsktx_write(&h, f, lens[i], 40000);
		/* Ethernet: the group's MAC (low 23 bits of 239.129.2.3), ours, IPv4. */
		assert_memory_equal(f, mac, 6);
		assert_memory_equal(f + 6, ifc.mac, 6);
		assert_int_equal(f[12] << 8 | f[13], 0x0800);
		/* IPv4: no options, lengths, DF, TTL, UDP, addresses, a checksum that sums to ~0. */
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[2] << 8 | ip[3], lens[i] + 28);
		assert_int_equal(ip[6] << 8 | ip[7], 0x4000);
		assert_int_equal(ip[8], 7);
		assert_int_equal(ip[9], 17);
		assert_memory_equal(ip + 12, &ifc.addr, 4);
		assert_memory_equal(ip + 16, d.addr + 12, 4);
		assert_int_equal(csum16(ip, 20), 0xffff);
		/* UDP: ports, length, no checksum (0, allowed over IPv4). */
		assert_int_equal(udp[0] << 8 | udp[1], 40000);
		assert_int_equal(udp[2] << 8 | udp[3], 6001);
		assert_int_equal(udp[4] << 8 | udp[5], lens[i] + 8);
		assert_int_equal(udp[6] | udp[7], 0);
	}
}

static void test_iface_lookup(void **state)
{
	struct xsktx_iface ifc;

	(void)state;
	assert_int_equal(testenv_sh("ip link add " VETH " address 02:00:5e:10:00:07 mtu 1400 "
				    "type veth peer name " VETH "p"),
			 0);
	/* No IPv4 address yet: the path cannot be used. */
	assert_int_equal(xsktx_iface(VETH, &ifc), -EADDRNOTAVAIL);
	assert_int_equal(testenv_sh("ip addr add 198.51.100.7/24 dev " VETH), 0);
	assert_int_equal(xsktx_iface(VETH, &ifc), 0);
	assert_int_equal(ifc.mtu, 1400);
	assert_int_equal(ifc.mac[5], 0x07);
	assert_int_equal(ntohl(ifc.addr), 0xc6336407);
	assert_int_equal(xsktx_iface("nosuch0", &ifc), -ENODEV);
	assert_int_equal(testenv_sh("ip link del " VETH), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_destinations),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_iface_lookup),
	};

	return cmocka_run_group_tests_name("xsktx", tests, testenv_group_setup,
					   testenv_group_teardown);
}
