/* bpftool's LLVM path (jit_disasm.c) on arbitrary bytes: reads the image from stdin,
 * prints "%4x:" + LLVMDisasmInstruction text per instruction like plain `prog dump jited`,
 * with argv[1] = func_ksym (hex). Mode "len": print "pc count" only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <llvm-c/Core.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
static const char *cb(void *d, uint64_t v, uint64_t *t, uint64_t pc, const char **n)
{ *t = LLVMDisassembler_ReferenceType_InOut_None; return NULL; }
int main(int argc, char **argv)
{
	static unsigned char img[1 << 24];
	size_t len = fread(img, 1, sizeof(img), stdin);
	uint64_t ksym = argc > 1 ? strtoull(argv[1], NULL, 16) : 0;
	int opcodes = argc > 2 && !strcmp(argv[2], "opcodes");
	LLVMInitializeAllTargetInfos(); LLVMInitializeAllTargetMCs(); LLVMInitializeAllDisassemblers();
	char *triple = LLVMGetDefaultTargetTriple();
	LLVMDisasmContextRef ctx = LLVMCreateDisasm(triple, NULL, 0, NULL, cb);
	unsigned pc = 0; int count;
	if (!len) return 0;
	do {
		char buf[256];
		memset(buf, 0, sizeof(buf));
		printf("%4x:", pc);
		count = LLVMDisasmInstruction(ctx, img + pc, len - pc, ksym + pc, buf, sizeof(buf));
		printf("%s", buf);
		if (opcodes) { printf("\n\t"); for (int i = 0; i < count; i++) printf("%02x ", img[pc + i]); }
		printf("\n");
		pc += count;
	} while (count > 0 && pc < len);
	return 0;
}
