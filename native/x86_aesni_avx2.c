/*
 * x86_aesni_avx2.c — the same code as x86_aesni.c, compiled with -mavx2 -mbmi2 as well, giving
 * vh_ops_aesni_avx2 (see the header of x86_aesni.c for why, and dispatch.c for when it runs).
 */
#define VH_X86_AVX2 1
#include "x86_aesni.c"
