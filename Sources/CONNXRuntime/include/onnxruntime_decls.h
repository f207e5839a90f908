#pragma once
// EdgeFactor's own declarations of the ONNX Runtime C API subset that the Vision module uses.
//
// ONNX Runtime is loaded at run time with dlopen (the library comes from the onnxruntime wheel
// installed by scripts/setup.sh), so nothing here is linked. The runtime exposes its C API as one
// table of function pointers (OrtApi) returned by OrtGetApiBase()->GetApi(version). The table only
// ever grows at the end, so a table requested for EF_ORT_API_VERSION has these slots at these
// positions in every later release. Slots we do not call are kept as opaque padding; the slot
// numbers in the comments are positions in the table, and EF_ORT_SLOT_CHECK keeps them honest.
// Written from the public API documentation; the names follow the official ones so the calls
// read the same as in ONNX Runtime's documentation.

#include <stddef.h>
#include <stdint.h>

// Only the function-table slots and return values carry nullability (which is what Swift needs to
// import the slots as non-optional functions and statuses as optionals); parameters are left plain.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-completeness"

#ifdef __cplusplus
extern "C" {
#endif

/// The API version requested from the runtime (ONNX Runtime 1.13 and later provide it).
#define EF_ORT_API_VERSION 13

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtModelMetadata OrtModelMetadata;
typedef struct OrtAllocator OrtAllocator;
typedef struct OrtCUDAProviderOptionsV2 OrtCUDAProviderOptionsV2;
typedef struct OrtTensorRTProviderOptionsV2 OrtTensorRTProviderOptionsV2;

typedef enum ONNXTensorElementDataType {
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED = 0,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 = 2,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 = 3,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 = 7,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 = 10,
    ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE = 11,
} ONNXTensorElementDataType;

typedef enum ONNXType {
    ONNX_TYPE_UNKNOWN = 0,
    ONNX_TYPE_TENSOR = 1,
} ONNXType;

typedef enum OrtLoggingLevel {
    ORT_LOGGING_LEVEL_VERBOSE = 0,
    ORT_LOGGING_LEVEL_INFO = 1,
    ORT_LOGGING_LEVEL_WARNING = 2,
    ORT_LOGGING_LEVEL_ERROR = 3,
    ORT_LOGGING_LEVEL_FATAL = 4,
} OrtLoggingLevel;

typedef enum OrtErrorCode {
    ORT_OK = 0,
    ORT_FAIL = 1,
    ORT_INVALID_ARGUMENT = 2,
    ORT_NO_SUCHFILE = 3,
    ORT_NO_MODEL = 4,
    ORT_ENGINE_ERROR = 5,
    ORT_RUNTIME_EXCEPTION = 6,
    ORT_INVALID_PROTOBUF = 7,
    ORT_MODEL_LOADED = 8,
    ORT_NOT_IMPLEMENTED = 9,
    ORT_INVALID_GRAPH = 10,
    ORT_EP_FAIL = 11,
} OrtErrorCode;

typedef enum GraphOptimizationLevel {
    ORT_DISABLE_ALL = 0,
    ORT_ENABLE_BASIC = 1,
    ORT_ENABLE_EXTENDED = 2,
    ORT_ENABLE_ALL = 99,
} GraphOptimizationLevel;

typedef enum ExecutionMode {
    ORT_SEQUENTIAL = 0,
    ORT_PARALLEL = 1,
} ExecutionMode;

typedef enum OrtAllocatorType {
    OrtDeviceAllocator = 0,
    OrtArenaAllocator = 1,
} OrtAllocatorType;

typedef enum OrtMemType {
    OrtMemTypeDefault = 0,
} OrtMemType;

/// The function table. Every call returns NULL on success or an OrtStatus that the caller owns.
typedef struct EFOrtApi {
    /*   0 */ OrtStatus *_Nullable (*_Nonnull CreateStatus)(OrtErrorCode code, const char *message);
    /*   1 */ OrtErrorCode (*_Nonnull GetErrorCode)(const OrtStatus *status);
    /*   2 */ const char *_Nonnull (*_Nonnull GetErrorMessage)(const OrtStatus *status);
    /*   3 */ OrtStatus *_Nullable (*_Nonnull CreateEnv)(OrtLoggingLevel severity, const char *log_id, OrtEnv **out);
    /*   4 */ void *unused_4_6[3];
    /*   7 */ OrtStatus *_Nullable (*_Nonnull CreateSession)(const OrtEnv *env, const char *model_path, const OrtSessionOptions *options, OrtSession **out);
    /*   8 */ OrtStatus *_Nullable (*_Nonnull CreateSessionFromArray)(const OrtEnv *env, const void *model_data, size_t model_data_length, const OrtSessionOptions *options, OrtSession **out);
    /*   9 */ OrtStatus *_Nullable (*_Nonnull Run)(OrtSession *session, const OrtRunOptions *run_options, const char *const *input_names, const OrtValue *const *inputs, size_t input_count, const char *const *output_names, size_t output_count, OrtValue **outputs);
    /*  10 */ OrtStatus *_Nullable (*_Nonnull CreateSessionOptions)(OrtSessionOptions **out);
    /*  11 */ void *unused_11_12[2];
    /*  13 */ OrtStatus *_Nullable (*_Nonnull SetSessionExecutionMode)(OrtSessionOptions *options, ExecutionMode mode);
    /*  14 */ void *unused_14_21[8];
    /*  22 */ OrtStatus *_Nullable (*_Nonnull SetSessionLogSeverityLevel)(OrtSessionOptions *options, int level);
    /*  23 */ OrtStatus *_Nullable (*_Nonnull SetSessionGraphOptimizationLevel)(OrtSessionOptions *options, GraphOptimizationLevel level);
    /*  24 */ OrtStatus *_Nullable (*_Nonnull SetIntraOpNumThreads)(OrtSessionOptions *options, int threads);
    /*  25 */ OrtStatus *_Nullable (*_Nonnull SetInterOpNumThreads)(OrtSessionOptions *options, int threads);
    /*  26 */ void *unused_26_29[4];
    /*  30 */ OrtStatus *_Nullable (*_Nonnull SessionGetInputCount)(const OrtSession *session, size_t *out);
    /*  31 */ OrtStatus *_Nullable (*_Nonnull SessionGetOutputCount)(const OrtSession *session, size_t *out);
    /*  32 */ void *unused_32;
    /*  33 */ OrtStatus *_Nullable (*_Nonnull SessionGetInputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **out);
    /*  34 */ OrtStatus *_Nullable (*_Nonnull SessionGetOutputTypeInfo)(const OrtSession *session, size_t index, OrtTypeInfo **out);
    /*  35 */ void *unused_35;
    /*  36 */ OrtStatus *_Nullable (*_Nonnull SessionGetInputName)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **out);
    /*  37 */ OrtStatus *_Nullable (*_Nonnull SessionGetOutputName)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **out);
    /*  38 */ void *unused_38_48[11];
    /*  49 */ OrtStatus *_Nullable (*_Nonnull CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo *info, void *data, size_t data_length, const int64_t *shape, size_t shape_length, ONNXTensorElementDataType type, OrtValue **out);
    /*  50 */ void *unused_50;
    /*  51 */ OrtStatus *_Nullable (*_Nonnull GetTensorMutableData)(OrtValue *value, void **out);
    /*  52 */ void *unused_52_54[3];
    /*  55 */ OrtStatus *_Nullable (*_Nonnull CastTypeInfoToTensorInfo)(const OrtTypeInfo *type_info, const OrtTensorTypeAndShapeInfo **out);
    /*  56 */ OrtStatus *_Nullable (*_Nonnull GetOnnxTypeFromTypeInfo)(const OrtTypeInfo *type_info, ONNXType *out);
    /*  57 */ void *unused_57_59[3];
    /*  60 */ OrtStatus *_Nullable (*_Nonnull GetTensorElementType)(const OrtTensorTypeAndShapeInfo *info, ONNXTensorElementDataType *out);
    /*  61 */ OrtStatus *_Nullable (*_Nonnull GetDimensionsCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
    /*  62 */ OrtStatus *_Nullable (*_Nonnull GetDimensions)(const OrtTensorTypeAndShapeInfo *info, int64_t *dims, size_t dims_length);
    /*  63 */ void *unused_63;
    /*  64 */ OrtStatus *_Nullable (*_Nonnull GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
    /*  65 */ OrtStatus *_Nullable (*_Nonnull GetTensorTypeAndShape)(const OrtValue *value, OrtTensorTypeAndShapeInfo **out);
    /*  66 */ void *unused_66_68[3];
    /*  69 */ OrtStatus *_Nullable (*_Nonnull CreateCpuMemoryInfo)(OrtAllocatorType type, OrtMemType mem_type, OrtMemoryInfo **out);
    /*  70 */ void *unused_70_75[6];
    /*  76 */ OrtStatus *_Nullable (*_Nonnull AllocatorFree)(OrtAllocator *allocator, void *pointer);
    /*  77 */ void *unused_77;
    /*  78 */ OrtStatus *_Nullable (*_Nonnull GetAllocatorWithDefaultOptions)(OrtAllocator **out);
    /*  79 */ void *unused_79_91[13];
    /*  92 */ void (*_Nonnull ReleaseEnv)(OrtEnv *object);
    /*  93 */ void (*_Nonnull ReleaseStatus)(OrtStatus *object);
    /*  94 */ void (*_Nonnull ReleaseMemoryInfo)(OrtMemoryInfo *object);
    /*  95 */ void (*_Nonnull ReleaseSession)(OrtSession *object);
    /*  96 */ void (*_Nonnull ReleaseValue)(OrtValue *object);
    /*  97 */ void *unused_97;
    /*  98 */ void (*_Nonnull ReleaseTypeInfo)(OrtTypeInfo *object);
    /*  99 */ void (*_Nonnull ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo *object);
    /* 100 */ void (*_Nonnull ReleaseSessionOptions)(OrtSessionOptions *object);
    /* 101 */ void *unused_101_110[10];
    /* 111 */ OrtStatus *_Nullable (*_Nonnull SessionGetModelMetadata)(const OrtSession *session, OrtModelMetadata **out);
    /* 112 */ void *unused_112_114[3];
    /* 115 */ OrtStatus *_Nullable (*_Nonnull ModelMetadataGetDescription)(const OrtModelMetadata *metadata, OrtAllocator *allocator, char **out);
    /* 116 */ OrtStatus *_Nullable (*_Nonnull ModelMetadataLookupCustomMetadataMap)(const OrtModelMetadata *metadata, OrtAllocator *allocator, const char *key, char **out);
    /* 117 */ void *unused_117;
    /* 118 */ void (*_Nonnull ReleaseModelMetadata)(OrtModelMetadata *object);
    /* 119 */ void *unused_119_124[6];
    /* 125 */ OrtStatus *_Nullable (*_Nonnull GetAvailableProviders)(char ***out, int *count);
    /* 126 */ OrtStatus *_Nullable (*_Nonnull ReleaseAvailableProviders)(char **providers, int count);
    /* 127 */ void *unused_127_129[3];
    /* 130 */ OrtStatus *_Nullable (*_Nonnull AddSessionConfigEntry)(OrtSessionOptions *options, const char *key, const char *value);
    /* 131 */ void *unused_131_169[39];
    /* 170 */ OrtStatus *_Nullable (*_Nonnull SessionOptionsAppendExecutionProvider_TensorRT_V2)(OrtSessionOptions *options, const OrtTensorRTProviderOptionsV2 *provider_options);
    /* 171 */ OrtStatus *_Nullable (*_Nonnull CreateTensorRTProviderOptions)(OrtTensorRTProviderOptionsV2 **out);
    /* 172 */ OrtStatus *_Nullable (*_Nonnull UpdateTensorRTProviderOptions)(OrtTensorRTProviderOptionsV2 *provider_options, const char *const *keys, const char *const *values, size_t count);
    /* 173 */ void *unused_173;
    /* 174 */ void (*_Nonnull ReleaseTensorRTProviderOptions)(OrtTensorRTProviderOptionsV2 *object);
    /* 175 */ void *unused_175_203[29];
    /* 204 */ OrtStatus *_Nullable (*_Nonnull SessionOptionsAppendExecutionProvider_CUDA_V2)(OrtSessionOptions *options, const OrtCUDAProviderOptionsV2 *provider_options);
    /* 205 */ OrtStatus *_Nullable (*_Nonnull CreateCUDAProviderOptions)(OrtCUDAProviderOptionsV2 **out);
    /* 206 */ OrtStatus *_Nullable (*_Nonnull UpdateCUDAProviderOptions)(OrtCUDAProviderOptionsV2 *provider_options, const char *const *keys, const char *const *values, size_t count);
    /* 207 */ void *unused_207;
    /* 208 */ void (*_Nonnull ReleaseCUDAProviderOptions)(OrtCUDAProviderOptionsV2 *object);
    /* 209 */ void *unused_209_215[7];
    /* 216 */ OrtStatus *_Nullable (*_Nonnull SessionOptionsAppendExecutionProvider)(OrtSessionOptions *options, const char *provider_name, const char *const *keys, const char *const *values, size_t count);
} EFOrtApi;

/// The library's one exported entry point, found with dlsym("OrtGetApiBase").
typedef struct EFOrtApiBase {
    const EFOrtApi *_Nullable (*_Nonnull GetApi)(uint32_t version);
    const char *_Nonnull (*_Nonnull GetVersionString)(void);
} EFOrtApiBase;

typedef const EFOrtApiBase *_Nullable (*EFOrtGetApiBaseFunction)(void);

#define EF_ORT_SLOT_CHECK(field, slot) \
    _Static_assert(offsetof(EFOrtApi, field) == (slot) * sizeof(void *), #field " is not at slot " #slot)
EF_ORT_SLOT_CHECK(Run, 9);
EF_ORT_SLOT_CHECK(CreateTensorWithDataAsOrtValue, 49);
EF_ORT_SLOT_CHECK(ReleaseValue, 96);
EF_ORT_SLOT_CHECK(ModelMetadataLookupCustomMetadataMap, 116);
EF_ORT_SLOT_CHECK(SessionOptionsAppendExecutionProvider, 216);

#pragma clang diagnostic pop

#ifdef __cplusplus
}
#endif
