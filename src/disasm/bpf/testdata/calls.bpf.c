// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Calls of every kind: bpf-to-bpf (static and global subprograms), callbacks passed as
 * LD_IMM64 BPF_PSEUDO_FUNC, kfuncs, helpers the verifier inlines, and legacy packet loads
 * that it rewrites into helper calls. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

__u64 sum;

static __attribute__((noinline)) int twice(int x)
{
	return x * 2 + (int)sum;
}

__attribute__((noinline)) int global_add(int a, int b)
{
	return a + b;
}

static long loop_cb(__u64 idx, void *ctx)
{
	sum += idx;
	return 0;
}

SEC("tc")
int subprogs(struct __sk_buff *skb)
{
	int r = twice(skb->len) + global_add(skb->mark, 3);

	bpf_loop(4, loop_cb, NULL, 0);
	r += bpf_get_smp_processor_id();
	return r & 1;
}

SEC("tc")
int kfuncs(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, s = 0;

	bpf_iter_num_new(&it, 0, 3);
	while ((v = bpf_iter_num_next(&it)))
		s += *v;
	bpf_iter_num_destroy(&it);
	return s;
}

SEC("socket")
int ld_abs(struct __sk_buff *skb)
{
	__u32 off = skb->len & 7;

	return load_byte(skb, 12) + load_half(skb, off) + load_word(skb, 2);
}

char LICENSE[] SEC("license") = "GPL";
