/*
 * x86_vaes.c — x86_aesni.c compiled with -mavx2 -mbmi2 -mvaes -mvpclmulqdq as well, giving
 * vh_ops_aesni_vaes: AES2+MIX2 on 256-bit registers (see x86_aesni.c). dispatch.c runs it only
 * when CPUID reports VAES and VPCLMULQDQ beside AVX2 and XGETBV shows the OS saves YMM state.
 */
#define VH_X86_VAES 1
#include "x86_aesni.c"
