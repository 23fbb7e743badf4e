#ifndef SWITCHBOARD_COSIP_SHIM_H
#define SWITCHBOARD_COSIP_SHIM_H
#include <time.h>
#include <sys/time.h>
#include <stdarg.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_message.h>
#include <osipparser2/sdp_message.h>
#include <osip2/osip.h>

// Swift cannot import function-like macros, and libosip2 exposes much of its API that way
// (see ../../../shared/design.md, "Notes from trying the libraries"). These wrappers are the
// only C added on top; SIPMessageParser.swift is the only Swift file that calls them.

/// `osip_free` is a macro over an optional custom allocator.
static inline void cosip_free(void *p) { osip_free(p); }

/// Element `pos` of an osip_list_t, or NULL (the list API takes non-const pointers).
static inline void *cosip_list_get(const osip_list_t *list, int pos) {
    return osip_list_get(list, pos);
}
static inline int cosip_list_size(const osip_list_t *list) { return osip_list_size(list); }

static inline osip_via_t *cosip_message_get_via(osip_message_t *sip, int pos) {
    osip_via_t *via = NULL;
    if (osip_message_get_via(sip, pos, &via) < 0) return NULL;
    return via;
}

static inline const char *cosip_from_get_tag(osip_from_t *from) {
    osip_generic_param_t *tag = NULL;
    if (osip_from_get_tag(from, &tag) != 0 || tag == NULL) return NULL;
    return tag->gvalue;
}

static inline osip_generic_param_t *cosip_via_param_get_byname(osip_via_t *via, const char *name) {
    osip_generic_param_t *p = NULL;
    if (osip_via_param_get_byname(via, (char *)name, &p) != 0) return NULL;
    return p;
}

static inline osip_uri_param_t *cosip_uri_param_get_byname(osip_list_t *params, const char *name) {
    osip_uri_param_t *p = NULL;
    if (osip_uri_param_get_byname(params, (char *)name, &p) != 0) return NULL;
    return p;
}

/// libosip2 alone, for the benchmark: parse and free only. Returns 0 or <0.
static inline long cosip_parse_free(const char *buf, size_t len) {
    osip_message_t *sip = NULL;
    if (osip_message_init(&sip) != 0) return -1;
    int r = osip_message_parse(sip, buf, len);
    osip_message_free(sip);
    return r == 0 ? 1 : -2;
}

/// libosip2 alone, for the benchmark: parse, serialise, free. Returns the serialised length or <0.
static inline long cosip_parse_serialize_free(const char *buf, size_t len) {
    osip_message_t *sip = NULL;
    if (osip_message_init(&sip) != 0) return -1;
    if (osip_message_parse(sip, buf, len) != 0) { osip_message_free(sip); return -2; }
    char *out = NULL;
    size_t outLen = 0;
    if (osip_message_to_str(sip, &out, &outLen) != 0) { osip_message_free(sip); return -3; }
    osip_free(out);
    osip_message_free(sip);
    return (long)outLen;
}

/// libosip2 hands its trace function a va_list, which Swift closures cannot take
/// (`CVaListPointer` is not representable in @convention(c)). This trampoline formats the
/// line in C and passes plain strings to a Swift sink. Only SIPMessageParser.swift uses it.
typedef void (*cosip_log_sink_t)(int level, const char *file, int line, const char *message);
static cosip_log_sink_t cosip_log_sink = NULL;

static void cosip_trace_trampoline(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap) {
    char buf[512];
    if (chfr == NULL) return;
    vsnprintf(buf, sizeof buf, chfr, ap);
    cosip_log_sink_t sink = cosip_log_sink;
    if (sink != NULL) sink((int)level, fi, li, buf);
}

static inline void cosip_install_trace(cosip_log_sink_t sink, osip_trace_level_t upTo) {
    cosip_log_sink = sink;
    osip_trace_initialize_func(upTo, cosip_trace_trampoline);
}
#endif
