// The only file that touches libphonenumber. Every entry point catches all
// C++ exceptions (ICU and protobuf can throw, e.g. std::bad_alloc) because an
// exception crossing the extern "C" boundary into Swift is undefined behaviour.
#include "CPhoneNumber.h"

#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <unicode/locid.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;

namespace {

int copy_out(const std::string &value, char *out, size_t out_len) {
    if (out == nullptr || out_len == 0 || value.size() + 1 > out_len) return CPN_ERR_BUFFER;
    std::memcpy(out, value.data(), value.size());
    out[value.size()] = '\0';
    return static_cast<int>(value.size());
}

int map_error(PhoneNumberUtil::ErrorType error) {
    switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return CPN_ERR_INVALID_COUNTRY_CODE;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return CPN_ERR_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN: return CPN_ERR_TOO_LONG;
    default: return CPN_ERR_NOT_A_NUMBER;
    }
}

// Parses with a region; returns 0 or a negative CPN_ERR_* code.
int parse(const char *input, const char *region, PhoneNumber *number) {
    if (input == nullptr) return CPN_ERR_NOT_A_NUMBER;
    const std::string region_code = (region != nullptr && region[0] != '\0') ? region : "ZZ";
    PhoneNumberUtil::ErrorType error = PhoneNumberUtil::GetInstance()->Parse(input, region_code, number);
    return error == PhoneNumberUtil::NO_PARSING_ERROR ? 0 : map_error(error);
}

// Loaded once, on first use; the geocoder reads its compiled-in tables lazily
// and guards them with its own mutex, so sharing it across threads is safe.
const PhoneNumberOfflineGeocoder &geocoder() {
    static const PhoneNumberOfflineGeocoder *instance = new PhoneNumberOfflineGeocoder();
    return *instance;
}

std::string area_code_of(const PhoneNumber &number) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    std::string nsn;
    util->GetNationalSignificantNumber(number, &nsn);
    // NANP: the NPA is always the first three digits, even for numbers
    // libphonenumber does not call geographic (e.g. fictitious 555-01XX).
    if (number.country_code() == 1) return nsn.size() >= 3 ? nsn.substr(0, 3) : std::string();
    const int length = util->GetLengthOfGeographicalAreaCode(number);
    return length > 0 ? nsn.substr(0, static_cast<size_t>(length)) : std::string();
}

std::string location_of(const PhoneNumber &number) {
    return geocoder().GetDescriptionForNumber(number, icu::Locale("en", "US"));
}

}  // namespace

extern "C" int cpn_describe(const char *input, const char *default_region, char *e164, size_t e164_len, int *possible,
                            char *region, size_t region_len, char *area_code, size_t area_code_len,
                            char *location, size_t location_len) {
    try {
        PhoneNumber number;
        if (int rc = parse(input, default_region, &number); rc != 0) return rc;
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        std::string formatted;
        util->Format(number, PhoneNumberUtil::E164, &formatted);
        const bool is_possible = util->IsPossibleNumber(number);
        if (possible != nullptr) *possible = is_possible ? 1 : 0;
        if (is_possible) {
            std::string region_code;
            util->GetRegionCodeForNumber(number, &region_code);
            if (int rc = copy_out(region_code, region, region_len); rc < 0) return rc;
            if (int rc = copy_out(area_code_of(number), area_code, area_code_len); rc < 0) return rc;
            if (location != nullptr) {
                if (int rc = copy_out(location_of(number), location, location_len); rc < 0) return rc;
            }
        }
        return copy_out(formatted, e164, e164_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_format_e164(const char *input, const char *default_region, char *out, size_t out_len) {
    try {
        PhoneNumber number;
        if (int rc = parse(input, default_region, &number); rc != 0) return rc;
        std::string formatted;
        PhoneNumberUtil::GetInstance()->Format(number, PhoneNumberUtil::E164, &formatted);
        return copy_out(formatted, out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_inspect(const char *input, char *out, size_t out_len, int *valid, int *possible) {
    try {
        PhoneNumber number;
        if (int rc = parse(input, "ZZ", &number); rc != 0) return rc;
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        std::string formatted;
        util->Format(number, PhoneNumberUtil::E164, &formatted);
        if (valid != nullptr) *valid = util->IsValidNumber(number) ? 1 : 0;
        if (possible != nullptr) *possible = util->IsPossibleNumber(number) ? 1 : 0;
        return copy_out(formatted, out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_is_valid(const char *e164) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return PhoneNumberUtil::GetInstance()->IsValidNumber(number) ? 1 : 0;
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_main_region_for_country_code(int code, char *out, size_t out_len) {
    try {
        std::string region;
        PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(code, &region);
        return copy_out(region, out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_number_type(const char *e164) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return static_cast<int>(PhoneNumberUtil::GetInstance()->GetNumberType(number));
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_is_possible(const char *e164) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return PhoneNumberUtil::GetInstance()->IsPossibleNumber(number) ? 1 : 0;
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_region(const char *e164, char *out, size_t out_len) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        std::string region;
        PhoneNumberUtil::GetInstance()->GetRegionCodeForNumber(number, &region);
        return copy_out(region, out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_country_code(const char *e164) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return number.country_code();
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_area_code(const char *e164, char *out, size_t out_len) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return copy_out(area_code_of(number), out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_location(const char *e164, char *out, size_t out_len) {
    try {
        PhoneNumber number;
        if (int rc = parse(e164, "ZZ", &number); rc != 0) return rc;
        return copy_out(location_of(number), out, out_len);
    } catch (...) {
        return CPN_ERR_INTERNAL;
    }
}

extern "C" int cpn_is_supported_region(const char *region) {
    try {
        if (region == nullptr) return 0;
        std::set<std::string> regions;
        PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
        return regions.count(region) > 0 ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int cpn_is_supported_country_code(int code) {
    try {
        std::set<int> codes;
        PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&codes);
        return codes.count(code) > 0 ? 1 : 0;
    } catch (...) {
        return 0;
    }
}
