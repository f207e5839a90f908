#include "vision_shims.h"
