/* The invariants of a checked guest image, shared by the unit test's mutations and the fuzzer. */
#ifndef PTV_GUEST_IMAGE_CHECK_H
#define PTV_GUEST_IMAGE_CHECK_H

#include "guest/image.h"

/* NULL when everything the loader will touch for g (file of size bytes, mem bytes of RAM) is in bounds. */
const char *guest_image_insane(const struct guest_image *g, size_t size, uint64_t mem);

#endif
