/*
 * The files the download centre (下载中心) accepts, and the type each is
 * served with, from its name's extension: the back office refuses any
 * other upload with it, and the module serves the type the database
 * keeps (download_versions.media_type), which came from here.
 *
 * By the name, not the content, on purpose: the files are the CA's own
 * (forms, drivers, manuals an admin uploads), not applicants', and a
 * driver's .exe or a .zip has no content worth sniffing; what the
 * extension promises is what the browser is told (nosniff).
 *
 * Pure C (no nginx headers); unit-tested (t/unit/test_download.c).
 */

#ifndef CH_DOWNLOAD_H
#define CH_DOWNLOAD_H

#include <stddef.h>

/* the longest extension of the list, without its dot */
#define CH_DOWNLOAD_EXT_MAX  4

/*
 * The media type of a file of that name, by its extension (after the last
 * dot, case-insensitive): pdf, doc, docx, xls, xlsx, zip, rar, 7z, exe,
 * msi, txt.  NULL for any other name (no dot, an empty or unknown
 * extension, a name that is only an extension such as ".pdf"): refused.
 * The result is a static string.
 */
const char *ch_download_media_type(const char *file_name);

/*
 * The extension of the name in lower case, as the served file's plain
 * filename= gives it (download-<id>-v<version>.<ext>): written to out
 * (CH_DOWNLOAD_EXT_MAX + 1 bytes) and its length returned; 0 (out "")
 * when ch_download_media_type() refuses the name.
 */
size_t ch_download_ext(const char *file_name, char *out);

#endif /* CH_DOWNLOAD_H */
