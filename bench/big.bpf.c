// SPDX-License-Identifier: GPL-2.0
/* A large program for the `prog dump` benchmark: fully unrolled loops over packet bytes,
 * map updates and helper calls give several thousand xlated instructions and a JIT image
 * of tens of kilobytes. */
#include "../tests/fixtures/bpf_defs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} acc SEC(".maps");

#define STEP(i)                                                                 \
	do {                                                                    \
		__u32 k = (h ^ (i)) & 63;                                       \
		__u64 *v = bpf_map_lookup_elem(&acc, &k);                       \
		if (v)                                                          \
			*v += h * (i) + (h >> ((i) & 31));                      \
		h = (h << 5) ^ (h >> 3) ^ (__u32)bpf_ktime_get_ns() ^ (i);      \
	} while (0)
#define STEP8(i) STEP(i); STEP(i + 1); STEP(i + 2); STEP(i + 3); STEP(i + 4); STEP(i + 5); STEP(i + 6); STEP(i + 7)
#define STEP64(i) STEP8(i); STEP8(i + 8); STEP8(i + 16); STEP8(i + 24); STEP8(i + 32); STEP8(i + 40); STEP8(i + 48); STEP8(i + 56)

SEC("socket")
int big_socket(struct __sk_buff *skb)
{
	__u32 h = skb->len;

	STEP64(0);
	STEP64(64);
	STEP64(128);
	STEP64(192);
	return h & 1;
}

char LICENSE[] SEC("license") = "GPL";
