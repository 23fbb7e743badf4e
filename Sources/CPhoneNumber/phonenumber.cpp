#include "CPhoneNumber.h"
extern "C" int cpn_version(void) { return 1; }
