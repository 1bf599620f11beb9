// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Instructions clang-19 has no syntax for (load-acquire, store-release, may_goto) or emits only
 * for far jumps (gotol), written as raw bytes inside naked programs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define S(x) #x
/* One instruction: opcode, dst and src registers, 16-bit offset, 32-bit immediate. */
#define INSN(code, dst, src, off, imm)                                           \
	".byte " S(code) ", " S(((src) << 4) | (dst)) ", " S((off) & 0xff) ", "  \
	S(((off) >> 8) & 0xff) ", " S((imm) & 0xff) ", " S(((imm) >> 8) & 0xff)  \
	", " S(((imm) >> 16) & 0xff) ", " S(((imm) >> 24) & 0xff) "\n"

SEC("tc")
__attribute__((naked)) int acq_rel(void)
{
	asm volatile(
		"r1 = 7\n"
		"*(u64 *)(r10 - 8) = r1\n"
		/* store_release((u64 *)(r10 -8), r1) and narrower */
		INSN(0xdb, 10, 1, -8, 0x110)
		INSN(0xc3, 10, 1, -16, 0x110)
		INSN(0xcb, 10, 1, -18, 0x110)
		INSN(0xd3, 10, 1, -19, 0x110)
		/* r0 = load_acquire((u64 *)(r10 -8)) and narrower */
		INSN(0xdb, 0, 10, -8, 0x100)
		INSN(0xc3, 2, 10, -16, 0x100)
		INSN(0xcb, 3, 10, -18, 0x100)
		INSN(0xd3, 4, 10, -19, 0x100)
		"r0 += r2\n"
		"r0 += r3\n"
		"r0 += r4\n"
		"exit\n" ::: "memory");
}

SEC("tc")
__attribute__((naked)) int jumps(void)
{
	asm volatile(
		"r6 = r1\n"
		"r0 = 0\n"
		/* may_goto +1 */
		INSN(0xe5, 0, 0, 1, 0)
		"r0 = 1\n"
		"r1 = *(u32 *)(r6 + 0)\n"
		"if r1 == 0 goto 1f\n"
		/* gotol +1 */
		INSN(0x06, 0, 0, 0, 1)
		"1: r0 += 2\n"
		"r0 += 4\n"
		"if w1 > 5 goto 2f\n"
		"w1 = -w1\n"
		"r1 = -r1\n"
		"2: exit\n" ::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
