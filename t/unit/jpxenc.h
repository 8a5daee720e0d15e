/*
 * OpenJPEG's encoder writing into memory, for the JPEG 2000 the tests make
 * (t/unit/test_pdf_jpx.c, build/bin/mkscan jp2).  A JP2 file is written
 * with seeks back (its boxes' lengths), so the output is a buffer with a
 * position, grown zero-filled as the writer reaches past its end.
 */

#ifndef JPXENC_H
#define JPXENC_H

#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

typedef struct {
    unsigned char  *p;
    size_t          n, cap;
    size_t          pos;
    int             failed;
} jpx_out_t;


/* o reaches end; the new bytes are zero */
static int
jpx_out_reach(jpx_out_t *o, size_t end)
{
    unsigned char  *np;
    size_t          cap;

    if (end <= o->n) {
        return 0;
    }
    if (end > o->cap) {
        cap = o->cap ? o->cap : 65536;
        while (cap < end) {
            cap *= 2;
        }
        np = realloc(o->p, cap);
        if (np == NULL) {
            o->failed = 1;
            return -1;
        }
        o->p = np;
        o->cap = cap;
    }
    memset(o->p + o->n, 0, end - o->n);
    o->n = end;
    return 0;
}


static OPJ_SIZE_T
jpx_out_write(void *p, OPJ_SIZE_T n, void *data)
{
    jpx_out_t  *o = data;

    if (jpx_out_reach(o, o->pos + n) != 0) {
        return (OPJ_SIZE_T) -1;
    }
    memcpy(o->p + o->pos, p, n);
    o->pos += n;
    return n;
}


static OPJ_OFF_T
jpx_out_skip(OPJ_OFF_T n, void *data)
{
    jpx_out_t  *o = data;

    if (n < 0 || jpx_out_reach(o, o->pos + (size_t) n) != 0) {
        return -1;
    }
    o->pos += (size_t) n;
    return n;
}


static OPJ_BOOL
jpx_out_seek(OPJ_OFF_T n, void *data)
{
    jpx_out_t  *o = data;

    if (n < 0 || (size_t) n > o->n) {
        return OPJ_FALSE;
    }
    o->pos = (size_t) n;
    return OPJ_TRUE;
}


static void
jpx_quiet(const char *msg, void *data)
{
    (void) msg;
    (void) data;
}


/*
 * img encoded with par as format (OPJ_CODEC_JP2 or OPJ_CODEC_J2K) into o
 * (zeroed by the caller; o->p is the caller's to free): 0, or -1
 */
static int
jpx_encode(jpx_out_t *o, opj_image_t *img, opj_cparameters_t *par,
    OPJ_CODEC_FORMAT format)
{
    opj_codec_t   *codec;
    opj_stream_t  *stream = NULL;
    int            ok = 0;

    codec = opj_create_compress(format);
    if (codec == NULL) {
        return -1;
    }
    opj_set_error_handler(codec, jpx_quiet, NULL);
    opj_set_warning_handler(codec, jpx_quiet, NULL);
    opj_set_info_handler(codec, jpx_quiet, NULL);

    if (opj_setup_encoder(codec, par, img)) {
        stream = opj_stream_create(65536, OPJ_FALSE);
    }
    if (stream != NULL) {
        opj_stream_set_user_data(stream, o, NULL);
        opj_stream_set_write_function(stream, jpx_out_write);
        opj_stream_set_skip_function(stream, jpx_out_skip);
        opj_stream_set_seek_function(stream, jpx_out_seek);
        ok = opj_start_compress(codec, img, stream)
             && opj_encode(codec, stream)
             && opj_end_compress(codec, stream)
             && !o->failed;
        opj_stream_destroy(stream);
    }
    opj_destroy_codec(codec);

    return ok ? 0 : -1;
}

#endif /* JPXENC_H */
