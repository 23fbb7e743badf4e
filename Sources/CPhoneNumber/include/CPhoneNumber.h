#ifndef SWITCHBOARD_CPHONENUMBER_H
#define SWITCHBOARD_CPHONENUMBER_H
/*
 * A small C API over libphonenumber (PhoneNumberUtil) and its offline
 * geocoder. Only plain C types cross this boundary so that Swift never sees
 * a C++ type; every C++ exception is caught inside the implementation.
 *
 * String results are written NUL-terminated into caller buffers. Functions
 * returning int give the length written (>= 0) on success, or a negative
 * CPN_ERR_* code. 64 bytes is always enough for an E.164 number or a region,
 * 256 bytes for a location description.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPN_ERR_INVALID_COUNTRY_CODE (-1)
#define CPN_ERR_NOT_A_NUMBER         (-2)
#define CPN_ERR_TOO_SHORT            (-3)
#define CPN_ERR_TOO_LONG             (-4)
#define CPN_ERR_BUFFER               (-5)
#define CPN_ERR_INTERNAL             (-6)

/* Parses `input` (any human or carrier format) using `default_region`
 * (ISO 3166 alpha-2, or "ZZ"/NULL when unknown) and writes E.164. */
int cpn_format_e164(const char *input, const char *default_region, char *out, size_t out_len);

/* One parse for the loader's hot path: writes the E.164 form of an
 * international number and sets *valid / *possible (1 or 0). Either pointer
 * may be NULL; a NULL `valid` skips IsValidNumber, the costly range check. */
int cpn_inspect(const char *number, char *out, size_t out_len, int *valid, int *possible);

/* One parse for the call path (the dialled number and the caller of every
 * INVITE, where separate calls above would parse the same text five times):
 * like cpn_format_e164, and sets *possible (1 or 0). When the number is
 * possible it also writes its region ("ZZ" when unknown) into `region`, its
 * area code (as cpn_area_code) into `area_code`, and, if `location` is not
 * NULL, the geocoder's description into `location`. Returns the E.164 length
 * or a negative CPN_ERR_* code. */
int cpn_describe(const char *input, const char *default_region, char *e164, size_t e164_len, int *possible,
                 char *region, size_t region_len, char *area_code, size_t area_code_len,
                 char *location, size_t location_len);
/* 1 if libphonenumber considers the number valid, 0 if not, negative on parse error. */
int cpn_is_valid(const char *e164);

/* libphonenumber's PhoneNumberType of an E.164 number (0 fixed line, 1 mobile, 2 fixed
 * line or mobile, 3 toll free, 4 premium rate, 5 shared cost, 6 VoIP, 7 personal number,
 * 8 pager, 9 UAN, 10 voicemail, 11 unknown), or a negative error. */
int cpn_number_type(const char *e164);

/* 1 if the number has a possible length for its country, 0 if not, negative on parse error. */
int cpn_is_possible(const char *e164);

/* Region (ISO alpha-2, "001" for non-geographic, "ZZ" when unknown) of an E.164 number. */
int cpn_region(const char *e164, char *out, size_t out_len);

/* The main region of a country calling code ("US" for 1, "GB" for 44, "001" for
 * non-geographic codes, "ZZ" when unassigned). */
int cpn_main_region_for_country_code(int code, char *out, size_t out_len);

/* Country calling code of an E.164 number, or a negative error. */
int cpn_country_code(const char *e164);

/* Geographic area code (NANP NPA, "20" for London); empty when the number has none. */
int cpn_area_code(const char *e164, char *out, size_t out_len);

/* Offline geocoder description in English ("London", "Mountain View, CA"); empty when unknown. */
int cpn_location(const char *e164, char *out, size_t out_len);

/* 1 if `region` is a region libphonenumber knows (has metadata for), else 0. */
int cpn_is_supported_region(const char *region);

/* 1 if `code` is an assigned country calling code, else 0. */
int cpn_is_supported_country_code(int code);

#ifdef __cplusplus
}
#endif
#endif
