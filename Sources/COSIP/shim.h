#ifndef SWITCHBOARD_COSIP_SHIM_H
#define SWITCHBOARD_COSIP_SHIM_H
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_message.h>
#include <osipparser2/sdp_message.h>
#include <osip2/osip.h>
#endif
