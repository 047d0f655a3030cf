// SPDX-License-Identifier: Apache-2.0
//
// The kernel half of waf-xdp: drops frames whose IPv4 or IPv6 source address falls in
// a banned prefix, and counts what it dropped per entry. Everything else passes.
//
// The user-space half (src/blocklist.rs) owns the contents of the two tries; this
// program only reads them, bumps the counters of the entry that matched and honours
// the entry's expiry, so that a ban whose time is up stops applying even when user
// space is not running to remove it.
//
// Every read of the frame is preceded by a comparison against data_end: the verifier
// rejects any access it cannot prove in bounds.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// 802.1ad (QinQ) outer tag; not in every version of if_ether.h.
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

// How many VLAN tags are looked through: one (802.1Q) or two (802.1ad + 802.1Q).
#define MAX_VLAN_TAGS 2

// Upper bound on each trie; user space may lower or raise it when it creates the maps.
#define MAX_BANS 65536

// The key layout the kernel's LPM trie requires: the prefix length, then the address
// in network byte order. User space writes the same layout (aya's lpm_trie::Key).
struct key_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct key_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

// One ban: what it dropped so far and when it stops applying. Three u64 so that user
// space reads it as [u64; 3].
struct ban {
	__u64 packets;
	__u64 bytes;
	// CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) after which the ban no longer
	// drops; 0 for a ban without a time limit.
	__u64 expires_ns;
};

// Pinned by name: a restart of user space finds the same maps under its pin
// directory, with their entries and counters. LPM tries must be created without
// preallocation.
#define BAN_TRIE(name, key_type)                                                \
	struct {                                                                \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                            \
		__uint(map_flags, BPF_F_NO_PREALLOC);                           \
		__uint(max_entries, MAX_BANS);                                  \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                            \
		__type(key, key_type);                                          \
		__type(value, struct ban);                                      \
	} name SEC(".maps")

BAN_TRIE(ban_v4, struct key_v4);
BAN_TRIE(ban_v6, struct key_v6);

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

static __always_inline int verdict(struct ban *ban, __u64 len)
{
	if (!ban)
		return XDP_PASS;
	if (ban->expires_ns && bpf_ktime_get_ns() >= ban->expires_ns)
		return XDP_PASS;
	// Several CPUs may drop for the same entry at once: the adds must be atomic.
	__sync_fetch_and_add(&ban->packets, 1);
	__sync_fetch_and_add(&ban->bytes, len);
	return XDP_DROP;
}

SEC("xdp")
int waf_xdp_ban(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__u16 proto = eth->h_proto;
	void *cursor = eth + 1;

#pragma clang loop unroll(full)
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vlan = cursor;
		if ((void *)(vlan + 1) > data_end)
			return XDP_PASS;
		proto = vlan->encapsulated_proto;
		cursor = vlan + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cursor;
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		struct key_v4 key = { .prefixlen = 32 };
		__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
		return verdict(bpf_map_lookup_elem(&ban_v4, &key), len);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cursor;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		struct key_v6 key = { .prefixlen = 128 };
		__builtin_memcpy(key.addr, &ip6->saddr, sizeof(key.addr));
		return verdict(bpf_map_lookup_elem(&ban_v6, &key), len);
	}
	return XDP_PASS;
}

// No GPL-only helper is called, so the crate's own licence will do.
char LICENSE[] SEC("license") = "Apache-2.0";
