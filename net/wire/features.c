/*
 * net/wire/features: the definition of net_features (net/wire/features.h). The library's copy
 * has every feature; an application's image links its own copy of this file, compiled by
 * mk/app.mk with NET_FEATURES_LEFT_OUT set from its app.mk, which takes precedence.
 */
#include "net/wire/features.h"

#ifndef NET_FEATURES_LEFT_OUT
#define NET_FEATURES_LEFT_OUT 0u
#endif

const uint32_t net_features = NET_FEATURES_ALL & ~(uint32_t)(NET_FEATURES_LEFT_OUT);
