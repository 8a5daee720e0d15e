/*
 * libFuzzer target: ch_bmp_check on arbitrary bytes (the seeds in
 * t/fuzz/corpus/bmp/ are small valid and broken BMP files).  It must never
 * crash, leak, hang or use unbounded memory; the invariants of its results
 * are in fuzz_filecheck.h.
 */

#include "fuzz_filecheck.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_filecheck(ch_bmp_check, CH_FILE_BMP, data, size);

    return 0;
}
