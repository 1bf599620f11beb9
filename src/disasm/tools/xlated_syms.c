// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Writes the ".syms" sidecar of a golden xlated dump: the kernel data bpftool used to name
 * calls when it printed the dump, so the Rust test can resolve them offline.
 *
 *   call_base ADDR      address of __bpf_call_base
 *   jited ADDR          bpf_prog_info.jited_ksyms, in order
 *   sym ADDR NAME       every kallsyms entry (in kallsyms order) at an address a call names
 *
 * usage: xlated_syms /sys/fs/bpf/PIN > NAME.syms
 */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int get_info(int fd, struct bpf_prog_info *info)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = (uintptr_t)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	uint64_t call_base = 0, *ksyms, *wanted;
	struct bpf_insn *insns;
	unsigned int n, nwanted = 0, i;
	char line[512], name[512];
	FILE *f;
	int fd;

	if (argc != 2)
		return 2;
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uintptr_t)argv[1];
	fd = sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		perror("BPF_OBJ_GET");
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (get_info(fd, &info)) {
		perror("BPF_OBJ_GET_INFO_BY_FD");
		return 1;
	}
	n = info.xlated_prog_len / sizeof(*insns);
	unsigned int nk = info.nr_jited_ksyms;
	insns = calloc(n + 1, sizeof(*insns));
	ksyms = calloc(nk + 1, sizeof(*ksyms));
	wanted = calloc(n + nk + 1, sizeof(*wanted));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = n * sizeof(*insns);
	info.xlated_prog_insns = (uintptr_t)insns;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (uintptr_t)ksyms;
	if (get_info(fd, &info)) {
		perror("BPF_OBJ_GET_INFO_BY_FD");
		return 1;
	}

	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		perror("/proc/kallsyms");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;

		if (sscanf(line, "%llx %*c %511s", &a, name) == 2 && !strcmp(name, "__bpf_call_base"))
			call_base = a;
	}
	printf("call_base %llx\n", (unsigned long long)call_base);
	for (i = 0; i < nk; i++) {
		printf("jited %llx\n", (unsigned long long)ksyms[i]);
		wanted[nwanted++] = ksyms[i];
	}
	for (i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];

		if ((in->code & 0x07) == BPF_JMP && (in->code & 0xf0) == BPF_CALL) {
			uint64_t a = call_base + (int64_t)in->imm;

			if (in->src_reg == BPF_PSEUDO_CALL && (uint32_t)in->imm < nk)
				a = ksyms[in->imm];
			wanted[nwanted++] = a;
		}
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;

		if (sscanf(line, "%llx %*c %511s", &a, name) != 2 || !a)
			continue;
		for (i = 0; i < nwanted; i++)
			if (wanted[i] == a)
				break;
		if (i < nwanted)
			printf("sym %llx %s\n", a, name);
	}
	fclose(f);
	return 0;
}
