/* fuzz_decompress.c - every decoder under a small output limit: never crash, never exceed the limit. */
#include <stdlib.h>

#include "codec/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    ol_encoding_t enc = (ol_encoding_t)(data[0] % 4);
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    ol_err_t err;
    int rc = ol_decompress(enc, ol_slice(data + 1, size - 1), 1 << 16, &out, &err);
    if (rc == OL_OK && out.len > (1 << 16)) abort();
    ol_buf_free(&out);
    return 0;
}
