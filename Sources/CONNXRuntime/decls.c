// The declarations are header-only; this file exists so that SwiftPM builds the target and the
// slot checks in the header are compiled at least once.
#include "onnxruntime_decls.h"
