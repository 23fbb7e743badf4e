#ifndef SWITCHBOARD_CPHONENUMBER_H
#define SWITCHBOARD_CPHONENUMBER_H
#ifdef __cplusplus
extern "C" {
#endif
/* Filled in by the dialplan work. */
int cpn_version(void);
#ifdef __cplusplus
}
#endif
#endif
