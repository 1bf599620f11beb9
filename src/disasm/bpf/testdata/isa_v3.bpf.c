// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* mcpu: v3 -- before v4, byte swaps are the ALU "endian" ops (be16/be32/be64, le on BE). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__u64 out[4];

SEC("xdp")
int endian(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	out[0] = bpf_htons((__u16)len);
	out[1] = bpf_htonl(len);
	out[2] = bpf_cpu_to_be64(out[3] + len);
	if ((__s32)len > (__s32)out[0])
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
