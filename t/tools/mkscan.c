/*
 * mkscan: writes a test scan to stdout, for the Test::Nginx suites and the
 * benchmark (the drawing and the encoders are t/unit/scangen.h, which the
 * unit tests of lib/ch_filecheck.c share).  Deterministic: the same
 * arguments give the same bytes.
 *
 *   mkscan jpg|png|bmp|jp2|rgb color|grey|tinted WIDTH HEIGHT [options]
 *          > file
 *
 *   jp2      JPEG 2000 in a JP2 file, lossless (OpenJPEG's encoder, from
 *            memory), as img2pdf puts into a PDF's /JPXDecode image
 *   rgb      the raw samples, R, G, B of each pixel, rows from the top, no
 *            header: a PDF's /FlateDecode image data before compression
 *
 *   color    a document page: light paper, dark text-like strokes, a red
 *            seal ring and a blue stamp block (~1.3 % coloured pixels)
 *   grey     the same page in grey, stored as RGB (R = G = B) unless
 *            --gray-storage
 *   tinted   the grey page with one small coloured block (~0.05 % of the
 *            pixels): below the colour rule's threshold
 *
 *   --quality Q      JPEG quality (default 90)
 *   --size BYTES     pad to exactly BYTES, validly: JPEG COM segments (and
 *                    0xFF fill bytes), PNG "prVt" chunks before IEND, a BMP
 *                    gap before the pixel array; exit 1 when the file is
 *                    already larger (or a PNG is 1 to 11 bytes short at
 *                    every zlib level)
 *   --gray-storage   jpg: one component; png: colour type 0; bmp: an 8-bit
 *                    grey palette; jp2: one component (OPJ_CLRSPC_GRAY)
 *                    (rgb: always three samples a pixel)
 *   --noise N        each channel of each pixel moved by -N .. +N
 *   --seed S         the drawing's seed (default 1)
 *   --progressive    jpg: progressive
 *   --interlace      png: Adam7
 *   --bpp N          bmp: 1, 4, 8 (palette), 16 (5-6-5 bit fields), 24, 32
 *   --top-down       bmp: a negative height
 *
 * Exit 0, 1 (cannot make that size), 2 (usage or failure).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openjpeg.h>

#include "../unit/scangen.h"
#include "../unit/jpxenc.h"




static void
usage(void)
{
    fprintf(stderr,
        "usage: mkscan jpg|png|bmp|jp2|rgb color|grey|tinted WIDTH HEIGHT\n"
        "           [--quality Q] [--size BYTES] [--gray-storage] [--noise N]\n"
        "           [--seed S] [--progressive] [--interlace] [--bpp N]\n"
        "           [--top-down] > file\n");
    exit(2);
}


/*
 * The page as a JP2 file, lossless (the reversible 5/3 wavelet, and the
 * reversible colour transform for RGB, so that grey stored as RGB stays
 * exactly R = G = B): three sRGB components, or one grey component when
 * grey (the page's red channel, which is its grey for a grey page)
 */
static int
jp2(sg_buf_t *out, const sg_image_t *im, int grey)
{
    opj_image_cmptparm_t  cp[3];
    opj_cparameters_t     par;
    opj_image_t          *img;
    jpx_out_t             o;
    unsigned              nc, c;
    size_t                i;
    int                   rc;

    nc = grey ? 1 : 3;

    memset(cp, 0, sizeof(cp));
    for (c = 0; c < nc; c++) {
        cp[c].dx = cp[c].dy = 1;
        cp[c].w = im->w;
        cp[c].h = im->h;
        cp[c].prec = 8;
    }

    img = opj_image_create(nc, cp, grey ? OPJ_CLRSPC_GRAY : OPJ_CLRSPC_SRGB);
    if (img == NULL) {
        return -1;
    }
    img->x1 = im->w;
    img->y1 = im->h;

    for (c = 0; c < nc; c++) {
        for (i = 0; i < (size_t) im->w * im->h; i++) {
            img->comps[c].data[i] = im->rgb[i * 3 + c];
        }
    }

    opj_set_default_encoder_parameters(&par);
    par.tcp_numlayers = 1;
    par.tcp_rates[0] = 0;           /* lossless */
    par.cp_disto_alloc = 1;
    par.tcp_mct = grey ? 0 : 1;

    memset(&o, 0, sizeof(o));
    rc = jpx_encode(&o, img, &par, OPJ_CODEC_JP2);
    opj_image_destroy(img);

    if (rc != 0) {
        free(o.p);
        return -1;
    }

    out->p = o.p;
    out->n = o.n;
    out->cap = o.cap;
    return 0;
}


static unsigned long
number(const char *s, unsigned long lo, unsigned long hi)
{
    char           *end;
    unsigned long   v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end != '\0' || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "mkscan: bad number \"%s\" (%lu .. %lu)\n", s, lo, hi);
        exit(2);
    }

    return v;
}


static void
write_all(const unsigned char *p, size_t n)
{
    ssize_t  k;

    while (n) {
        k = write(1, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("mkscan: write");
            exit(2);
        }
        p += k;
        n -= (size_t) k;
    }
}


int
main(int argc, char **argv)
{
    const char     *fmt;
    sg_kind_e       kind;
    unsigned        w, h, noise, quality, bpp;
    unsigned long   seed;
    size_t          size, natural;
    int             i, gray_storage, progressive, interlace, top_down, level;
    sg_image_t      im;
    sg_buf_t        out;
    sg_jpeg_opt_t   jo;
    sg_png_opt_t    po;
    sg_bmp_opt_t    bo;

    if (argc < 5) {
        usage();
    }

    fmt = argv[1];
    if (strcmp(fmt, "jpg") != 0 && strcmp(fmt, "png") != 0
        && strcmp(fmt, "bmp") != 0 && strcmp(fmt, "jp2") != 0
        && strcmp(fmt, "rgb") != 0)
    {
        usage();
    }

    if (strcmp(argv[2], "color") == 0) {
        kind = SG_COLOR;
    } else if (strcmp(argv[2], "grey") == 0 || strcmp(argv[2], "gray") == 0) {
        kind = SG_GREY;
    } else if (strcmp(argv[2], "tinted") == 0) {
        kind = SG_TINTED;
    } else {
        usage();
    }

    w = (unsigned) number(argv[3], 1, 30000);
    h = (unsigned) number(argv[4], 1, 30000);

    quality = 90;
    size = 0;
    noise = 0;
    seed = 1;
    bpp = 24;
    gray_storage = progressive = interlace = top_down = 0;

    for (i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--quality") == 0 && i + 1 < argc) {
            quality = (unsigned) number(argv[++i], 1, 100);
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            size = number(argv[++i], 1, 0x7fffffffUL);
        } else if (strcmp(argv[i], "--noise") == 0 && i + 1 < argc) {
            noise = (unsigned) number(argv[++i], 0, 127);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = number(argv[++i], 0, 0xffffffffUL);
        } else if (strcmp(argv[i], "--bpp") == 0 && i + 1 < argc) {
            bpp = (unsigned) number(argv[++i], 1, 32);
            if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24
                && bpp != 32)
            {
                usage();
            }
        } else if (strcmp(argv[i], "--gray-storage") == 0
                   || strcmp(argv[i], "--grey-storage") == 0)
        {
            gray_storage = 1;
        } else if (strcmp(argv[i], "--progressive") == 0) {
            progressive = 1;
        } else if (strcmp(argv[i], "--interlace") == 0) {
            interlace = 1;
        } else if (strcmp(argv[i], "--top-down") == 0) {
            top_down = 1;
        } else {
            usage();
        }
    }

    if (sg_page(&im, w, h, kind, noise, (uint32_t) seed) != 0) {
        fprintf(stderr, "mkscan: out of memory\n");
        return 2;
    }

    memset(&out, 0, sizeof(out));

    if (size && (strcmp(fmt, "jp2") == 0 || strcmp(fmt, "rgb") == 0)) {
        fprintf(stderr, "mkscan: --size is for jpg, png and bmp\n");
        return 2;
    }

    if (strcmp(fmt, "jp2") == 0) {
        if (jp2(&out, &im, gray_storage) != 0) {
            fprintf(stderr, "mkscan: JPEG 2000 encoding failed\n");
            return 2;
        }

    } else if (strcmp(fmt, "rgb") == 0) {
        if (sg_buf_add(&out, im.rgb, (size_t) w * h * 3) != 0) {
            fprintf(stderr, "mkscan: out of memory\n");
            return 2;
        }

    } else if (strcmp(fmt, "jpg") == 0) {
        memset(&jo, 0, sizeof(jo));
        jo.quality = (int) quality;
        jo.grey = gray_storage;
        jo.progressive = progressive;
        if (sg_jpeg(&out, &im, &jo) != 0) {
            fprintf(stderr, "mkscan: JPEG encoding failed\n");
            return 2;
        }
        if (size && sg_jpeg_pad(&out, size) != 0) {
            fprintf(stderr, "mkscan: the JPEG is %zu bytes, more than %zu\n",
                    out.n, size);
            return 1;
        }

    } else if (strcmp(fmt, "png") == 0) {
        memset(&po, 0, sizeof(po));
        po.grey = gray_storage;
        po.interlace = interlace;

        /* another zlib level when 1 to 11 bytes are missing (a chunk is 12) */
        for (level = -1; level <= 9; level++) {
            po.level = level;
            sg_buf_free(&out);
            if (sg_png(&out, &im, &po) != 0) {
                fprintf(stderr, "mkscan: PNG encoding failed\n");
                return 2;
            }
            if (size == 0 || out.n == size || out.n + 12 <= size) {
                break;
            }
        }

        if (size && sg_png_pad(&out, size) != 0) {
            fprintf(stderr, "mkscan: the PNG is %zu bytes, cannot make %zu\n",
                    out.n, size);
            return 1;
        }

    } else {
        memset(&bo, 0, sizeof(bo));
        bo.bpp = gray_storage ? 8 : bpp;
        bo.grey = gray_storage || bpp < 8;
        bo.bitfields = bo.bpp == 16;
        bo.top_down = top_down;

        natural = sg_bmp_size(w, h, &bo);
        if (size) {
            if (natural > size) {
                fprintf(stderr, "mkscan: the BMP is %zu bytes, more than "
                        "%zu\n", natural, size);
                return 1;
            }
            bo.gap = size - natural;
        }

        if (sg_bmp(&out, &im, &bo) != 0) {
            fprintf(stderr, "mkscan: out of memory\n");
            return 2;
        }
    }

    write_all(out.p, out.n);

    sg_buf_free(&out);
    sg_image_free(&im);

    return 0;
}
