#ifndef CKUBESIM_ZLIB_SHIM_H
#define CKUBESIM_ZLIB_SHIM_H

#include <zlib.h>

// zlib's init functions are macros that pass the library version and the stream's size; Swift cannot call
// function-like macros, so these wrap them.
static inline int ckubesim_inflate_init(z_streamp stream) { return inflateInit(stream); }
static inline int ckubesim_deflate_init(z_streamp stream, int level) { return deflateInit(stream, level); }

#endif
