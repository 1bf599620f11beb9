// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Map access in all its xlated shapes: map[id:N] pointers, direct values of global data
 * (map[id:N][0]+OFF), inlined array/hash lookups, helpers called by address, tail calls,
 * and every atomic read-modify-write clang emits. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jumps SEC(".maps");

__u64 counter;
__u32 counter32;
__u64 pad[3];
__u64 last = 1;
const volatile __u32 limit = 100;

SEC("tc")
int lookups(struct __sk_buff *skb)
{
	__u32 key = skb->len & 3;
	__u64 init = 1, *v;

	v = bpf_map_lookup_elem(&hash, &key);
	if (!v) {
		bpf_map_update_elem(&hash, &key, &init, BPF_ANY);
		return 0;
	}
	v = bpf_map_lookup_elem(&array, &key);
	if (v)
		*v += skb->len;
	bpf_map_delete_elem(&hash, &key);
	last = bpf_ktime_get_ns();
	pad[2] = bpf_get_prandom_u32();
	if (skb->len > limit)
		bpf_tail_call(skb, &jumps, 0);
	return skb->len & 1;
}

SEC("tc")
int atomics(struct __sk_buff *skb)
{
	__u64 x = skb->len;
	__u32 y = skb->hash;
	__u64 r = 0;

	__sync_fetch_and_add(&counter, x);
	__sync_fetch_and_and(&counter, x);
	__sync_fetch_and_or(&counter, x);
	__sync_fetch_and_xor(&counter, x);
	__sync_fetch_and_add(&counter32, y);
	r += __sync_fetch_and_add(&counter, x);
	r += __sync_fetch_and_and(&counter, x);
	r += __sync_fetch_and_or(&counter, x);
	r += __sync_fetch_and_xor(&counter, x);
	r += __sync_fetch_and_or(&counter32, y);
	r += __sync_lock_test_and_set(&counter, x);
	r += __sync_lock_test_and_set(&counter32, y);
	r += __sync_val_compare_and_swap(&counter, x, r);
	r += __sync_val_compare_and_swap(&counter32, y, (__u32)r);
	return r & 1;
}

char LICENSE[] SEC("license") = "GPL";
