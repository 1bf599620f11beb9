// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Arena pointers: casts between the kernel and user address spaces (addr_space_cast). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id,
				    __u64 flags) __ksym;

__u64 __arena *shared;

SEC("syscall")
int arena_cast(void *ctx)
{
	__u64 __arena *p = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);

	if (!p)
		return 1;
	__u64 *k = (__u64 *)p;

	*p = 42;
	/* arena -> kernel above became a 32-bit mov; kernel -> arena stays a cast for the JIT */
	asm volatile("%[k] = addr_space_cast(%[k], 1, 0)" : [k] "+r"(k));
	shared = (__u64 __arena *)k;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
