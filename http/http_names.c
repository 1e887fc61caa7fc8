/*
 * net/http_names: the fixed vocabularies of a response: reason phrases (RFC 9110 15) and media
 * types by file extension (the IANA registrations the web uses for static sites).
 */
#include "lib/string.h"
#include "http/http.h"

/* "CODEReason\0" per entry, ended by an empty one: a packed table, where a switch or a pointer
 * per phrase cost twice the bytes. */
static const char reasons[] =
    "200OK\0"
    "206Partial Content\0"
    "301Moved Permanently\0"
    "304Not Modified\0"
    "400Bad Request\0"
    "403Forbidden\0"
    "404Not Found\0"
    "405Method Not Allowed\0"
    "408Request Timeout\0"
    "412Precondition Failed\0"
    "413Content Too Large\0"
    "414URI Too Long\0"
    "416Range Not Satisfiable\0"
    "431Request Header Fields Too Large\0"
    "500Internal Server Error\0"
    "501Not Implemented\0"
    "503Service Unavailable\0"
    "505HTTP Version Not Supported\0";

const char *http_reason(int status)
{
    for (const char *p = reasons; *p; p += strlen(p) + 1)
        if ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') == status)
            return p + 3;
    return "Unknown";
}

/* Extensions, each NUL-ended, then the media type they have (the item with a '/'), ended by an
 * empty one: a packed table, where a pair of pointers per entry cost more than the strings. */
static const char media_types[] =
    "html\0htm\0text/html; charset=utf-8\0"
    "css\0text/css; charset=utf-8\0"
    "js\0mjs\0text/javascript; charset=utf-8\0"
    "json\0application/json\0"
    "txt\0text/plain; charset=utf-8\0"
    "md\0text/markdown; charset=utf-8\0"
    "xml\0application/xml\0"
    "csv\0text/csv; charset=utf-8\0"
    "png\0image/png\0"
    "jpg\0jpeg\0image/jpeg\0"
    "gif\0image/gif\0"
    "webp\0image/webp\0"
    "avif\0image/avif\0"
    "svg\0image/svg+xml\0"
    "ico\0image/vnd.microsoft.icon\0"
    "woff\0font/woff\0"
    "woff2\0font/woff2\0"
    "ttf\0font/ttf\0"
    "otf\0font/otf\0"
    "pdf\0application/pdf\0"
    "wasm\0application/wasm\0"
    "zip\0application/zip\0"
    "gz\0application/gzip\0"
    "tar\0application/x-tar\0"
    "mp4\0video/mp4\0"
    "webm\0video/webm\0"
    "mp3\0audio/mpeg\0"
    "ogg\0audio/ogg\0"
    "wav\0audio/wav\0";

const char *http_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        struct http_str ext = { dot + 1, strlen(dot + 1) };
        bool found = false;
        for (const char *e = media_types; *e; e += strlen(e) + 1) {
            if (!strchr(e, '/'))
                found = found || http_str_ieq(ext, e);   /* extensions: any case */
            else if (found)
                return e;
        }
    }
    return "application/octet-stream";
}
