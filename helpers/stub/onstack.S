/* SPDX-License-Identifier: MIT */
/* pyx_stub_call_on_stack(fn, arg, top): calls fn(arg) on another stack and
 * comes back. The stub's signal handler runs its dump this way on a stack
 * of its own, whatever stack the signal arrived on (a thread's own, or an
 * alternate stack too small for the dump). x86-64 System V: fn in rdi, arg
 * in rsi, top (16-byte aligned) in rdx. rbp keeps the old stack pointer and
 * the CFI says so, so debuggers unwind through the switch. */
	.text
	.globl	pyx_stub_call_on_stack
	.hidden	pyx_stub_call_on_stack
	.type	pyx_stub_call_on_stack, @function
pyx_stub_call_on_stack:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%rdx, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	movq	%rbp, %rsp
	.cfi_def_cfa_register %rsp
	popq	%rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	pyx_stub_call_on_stack, .-pyx_stub_call_on_stack
	.section .note.GNU-stack,"",@progbits
