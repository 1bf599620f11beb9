/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Differential-test oracle: links the reference bpftool's own compiled objects
 * (xlated_dumper.o, disasm.o, json_writer.o from its build tree) so that arbitrary
 * instruction bytes, including ones no kernel would load, go through the real code.
 * Only the BTF/line-info hooks (unused without BTF) and fprint_hex are stubbed here.
 *
 *   harness CALL_BASE_HEX SYMFILE JITED_HEX,...  < insns.bin   dump_xlated_plain(..., opcodes)
 *       SYMFILE lines: "ADDR_HEX NAME", sorted by address
 *   harness nocb 0|1 < insns.bin       print_bpf_insn() without cb_call/cb_imm,
 *                                      allow_ptr_leaks = 0|1
 *   harness ksyms < addresses          kernel_syms_load() on /proc/kallsyms, then
 *                                      kernel_syms_search() for each hex address
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <linux/types.h>

struct kernel_sym { unsigned long address; char name[256]; char module[64]; };
struct dump_data {
	unsigned long address_call_base;
	struct kernel_sym *sym_mapping;
	__u32 sym_count;
	__u64 *jited_ksyms;
	__u32 nr_jited_ksyms;
	void *btf;
	void *func_info;
	__u32 finfo_rec_size;
	const void *prog_linfo;
	char scratch_buff[256 + 8];
};
void dump_xlated_plain(struct dump_data *dd, void *buf, unsigned int len, bool opcodes, bool linum);

void *json_wtr;
void *bpf_prog_linfo__lfind(const void *a, __u32 b, __u32 c) { return NULL; }
void btf_dump_linfo_plain(void) {}
void btf_dump_linfo_json(void) {}
void btf_dump_linfo_dotlabel(void) {}
void btf_dumper_type_only(void) {}
void print_hex_data_json(void) {}
void fprint_hex(FILE *f, void *arg, unsigned int n, const char *sep)
{
	unsigned char *data = arg;
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s%02hhx", i ? sep : "", data[i]);
}

struct bpf_insn { __u8 code; __u8 dst_reg:4; __u8 src_reg:4; __s16 off; __s32 imm; };
struct bpf_insn_cbs { void (*cb_print)(void *, const char *, ...); void *cb_call; void *cb_imm; void *private_data; };
void print_bpf_insn(const struct bpf_insn_cbs *cbs, const struct bpf_insn *insn, bool allow_ptr_leaks);
#include <stdarg.h>
static void pr(void *p, const char *fmt, ...) { va_list a; va_start(a, fmt); vprintf(fmt, a); va_end(a); }

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ksyms")) {
		/* bpftool's own kallsyms loader and search: one hex address per stdin line */
		void kernel_syms_load(struct dump_data *dd);
		struct kernel_sym *kernel_syms_search(struct dump_data *dd, unsigned long key);
		char line[64];
		struct dump_data dd = {0};
		kernel_syms_load(&dd);
		printf("call_base %lx\n", dd.address_call_base);
		while (fgets(line, sizeof(line), stdin)) {
			unsigned long a = strtoul(line, NULL, 16);
			struct kernel_sym *s = kernel_syms_search(&dd, a);
			printf("%lx %s\n", a, s ? s->name : "-");
		}
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "nocb")) {
		/* kernel fallbacks: no cb_call / cb_imm; argv[2] = allow_ptr_leaks */
		static unsigned char b[1 << 20];
		size_t n = fread(b, 1, sizeof(b) - 64, stdin) / 8;
		struct bpf_insn_cbs cbs = { .cb_print = pr };
		bool leaks = argc > 2 && argv[2][0] == '1';
		for (size_t i = 0; i < n; i++) {
			struct bpf_insn *in = (struct bpf_insn *)b + i;
			printf("%4zu: ", i);
			print_bpf_insn(&cbs, in, leaks);
			if (in->code == 0x18) i++;
		}
		return 0;
	}
	struct dump_data dd = {0};
	static unsigned char buf[1 << 20];
	size_t len;
	if (argc < 4) return 2;
	dd.address_call_base = strtoul(argv[1], NULL, 16);
	FILE *f = fopen(argv[2], "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			dd.sym_mapping = realloc(dd.sym_mapping, (dd.sym_count + 1) * sizeof(*dd.sym_mapping));
			struct kernel_sym *s = &dd.sym_mapping[dd.sym_count];
			memset(s, 0, sizeof(*s));
			if (sscanf(line, "%lx %255s", &s->address, s->name) == 2) dd.sym_count++;
		}
		fclose(f);
	}
	static __u64 jited[64];
	if (strlen(argv[3])) {
		char *p = argv[3];
		while (*p && dd.nr_jited_ksyms < 64) {
			jited[dd.nr_jited_ksyms++] = strtoull(p, &p, 16);
			if (*p == ',') p++;
		}
		dd.jited_ksyms = jited;
	}
	len = fread(buf, 1, sizeof(buf) - 64, stdin);
	dump_xlated_plain(&dd, buf, len, true, false);
	return 0;
}
