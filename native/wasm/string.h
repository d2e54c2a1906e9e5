/*
 * string.h for the freestanding WebAssembly build (no libc, no sysroot): the four functions the
 * library uses, implemented in wasm_libc.c. The compiler still expands small fixed-size calls
 * inline (they stay builtins); only the rest become calls.
 */
#ifndef VH_WASM_STRING_H
#define VH_WASM_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
