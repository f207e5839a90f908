#include "onnxruntime_decls.h"
