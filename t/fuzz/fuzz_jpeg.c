/*
 * libFuzzer target: ch_jpeg_check on arbitrary bytes (the seeds in
 * t/fuzz/corpus/jpeg/ are small valid and broken JPEG files).  It must never
 * crash, leak, hang or use unbounded memory; the invariants of its results
 * are in fuzz_filecheck.h.
 */

#include "fuzz_filecheck.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_filecheck(ch_jpeg_check, CH_FILE_JPEG, data, size);

    return 0;
}
