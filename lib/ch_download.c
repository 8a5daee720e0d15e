/*
 * The download centre's file types (see ch_download.h).
 */

#include <string.h>
#include <strings.h>

#include "ch_download.h"


static const struct {
    const char  *ext;
    const char  *media_type;
} ch_download_types[] = {
    { "pdf",  "application/pdf" },
    { "doc",  "application/msword" },
    { "docx", "application/vnd.openxmlformats-officedocument"
              ".wordprocessingml.document" },
    { "xls",  "application/vnd.ms-excel" },
    { "xlsx", "application/vnd.openxmlformats-officedocument"
              ".spreadsheetml.sheet" },
    { "zip",  "application/zip" },
    { "rar",  "application/vnd.rar" },
    { "7z",   "application/x-7z-compressed" },
    /* what Windows runs: saved, never shown, whatever the browser */
    { "exe",  "application/octet-stream" },
    { "msi",  "application/x-msi" },
    { "txt",  "text/plain" },
};


/* the entry of the name's extension, or -1 */

static int
ch_download_find(const char *file_name)
{
    size_t       i;
    const char  *dot;

    if (file_name == NULL) {
        return -1;
    }

    dot = strrchr(file_name, '.');

    /* ".pdf" alone is a hidden file's name, not a PDF's */

    if (dot == NULL || dot == file_name) {
        return -1;
    }

    for (i = 0; i < sizeof(ch_download_types) / sizeof(ch_download_types[0]);
         i++)
    {
        if (strcasecmp(dot + 1, ch_download_types[i].ext) == 0) {
            return (int) i;
        }
    }

    return -1;
}


const char *
ch_download_media_type(const char *file_name)
{
    int  i;

    i = ch_download_find(file_name);

    return i < 0 ? NULL : ch_download_types[i].media_type;
}


size_t
ch_download_ext(const char *file_name, char *out)
{
    int  i;

    i = ch_download_find(file_name);

    if (i < 0) {
        out[0] = '\0';
        return 0;
    }

    strcpy(out, ch_download_types[i].ext);

    return strlen(out);
}
