// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* ISA v4 as clang emits it with -mcpu=v4: signed division and modulo, sign-extending moves
 * and loads, unconditional byte swaps, 32-bit jumps; plus the ALU/JMP32 basics. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__s64 out[8];

SEC("tc")
int signed_ops(struct __sk_buff *skb)
{
	__s64 a = (__s32)skb->len - 1000;
	__s32 b = (__s32)skb->hash | 1;
	__s8 *p = (__s8 *)&out[7];
	__s16 *q = (__s16 *)&out[6];
	__s32 *s = (__s32 *)&out[5];

	out[0] = a / (b | 3);
	out[1] = a % 7;
	out[2] = (__s32)b / -3;
	out[3] = (__s64)(__s8)skb->mark + (__s64)(__s16)skb->priority + (__s64)(__s32)skb->hash;
	out[4] = (__s64)*p + *q + *s;
	out[5] = (__u64)__builtin_bswap16((__u16)skb->mark) + __builtin_bswap32(skb->hash) +
		 __builtin_bswap64(out[1]);
	out[6] = (__s32)(b >> 3) - (b << 5) + (b ^ 0x55) + -b;
	if ((__s32)skb->len < (__s32)skb->mark)
		return -1;
	if (skb->len & 0x40)
		return 2;
	return a > 0;
}

char LICENSE[] SEC("license") = "GPL";
