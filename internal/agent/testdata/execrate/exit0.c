/*
 * exit0: the cheapest program the kernel can exec. Static, no libc, no
 * ELF interpreter: _start makes the exit_group(0) system call, so an exec
 * of it costs little more than the kernel's execve path itself.
 *
 * Built by TestAgentExecRate with: gcc -static -nostdlib -O2 -o exit0 exit0.c
 */
#if !defined(__x86_64__) && !defined(__aarch64__)
#error "exit0.c supports x86_64 and aarch64"
#endif

void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall" ::: "memory");
#else
	__asm__ volatile("mov x8, #94\n\tmov x0, #0\n\tsvc #0" ::: "memory");
#endif
	for (;;)
		;
}
