#pragma once
// Small C helpers for the Vision module, for what Swift cannot do itself:
// - libjpeg reports errors by calling a function that must not return; the default one calls
//   exit(). These wrappers install an error manager that longjmps back (setjmp/longjmp are not
//   available in Swift) and turn every libjpeg error into a return code and a message.
// - ioctl is variadic (not callable from Swift) and the V4L2 request numbers are function-like
//   macros (not imported), so they are re-exported here as a plain function and constants.

#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EF_MESSAGE_CAPACITY 200

/// An in-progress JPEG decode: header read, output size known, pixels not yet decoded.
typedef struct ef_jpeg_decoder ef_jpeg_decoder;

/// Reads the JPEG header from `data`. On success returns a decoder and sets the output size (after
/// DCT scaling by 1/`scale_denominator`, which must be 1, 2, 4 or 8) and the source size. On failure
/// returns NULL and writes a message into `message` (EF_MESSAGE_CAPACITY bytes).
ef_jpeg_decoder *ef_jpeg_open(const uint8_t *data, size_t size, int scale_denominator,
                              int *width, int *height, int *source_width, int *source_height,
                              char *message);

/// Changes the DCT scaling (1/1, 1/2, 1/4, 1/8) before ef_jpeg_read; updates the output size.
int ef_jpeg_set_scale(ef_jpeg_decoder *decoder, int scale_denominator, int *width, int *height, char *message);

/// Decodes the pixels as RGB8 rows of `row_stride` bytes into `pixels`. Returns 0 on success, or -1
/// with a message. Corrupt data that libjpeg can recover from (a truncated file, say) returns 0
/// with `*warnings` > 0 and the first warning's text in `message`.
int ef_jpeg_read(ef_jpeg_decoder *decoder, uint8_t *pixels, size_t row_stride, int *warnings, char *message);

/// Releases the decoder (safe with NULL).
void ef_jpeg_close(ef_jpeg_decoder *decoder);

/// Encodes RGB8 pixels as a baseline JPEG. On success returns 0 and sets `*output` (free it with
/// ef_free) and `*output_size`; on failure returns -1 with a message.
int ef_jpeg_encode(const uint8_t *pixels, int width, int height, size_t row_stride, int quality,
                   uint8_t **output, size_t *output_size, char *message);

void ef_free(void *pointer);

/// ioctl(2) with one pointer argument, retried on EINTR. Returns -1 and sets errno on failure.
int ef_ioctl(int fd, unsigned long request, void *argument);

extern const unsigned long EF_VIDIOC_QUERYCAP;
extern const unsigned long EF_VIDIOC_ENUM_FMT;
extern const unsigned long EF_VIDIOC_ENUM_FRAMESIZES;
extern const unsigned long EF_VIDIOC_ENUM_FRAMEINTERVALS;
extern const unsigned long EF_VIDIOC_G_FMT;
extern const unsigned long EF_VIDIOC_S_FMT;
extern const unsigned long EF_VIDIOC_S_PARM;
extern const unsigned long EF_VIDIOC_REQBUFS;
extern const unsigned long EF_VIDIOC_QUERYBUF;
extern const unsigned long EF_VIDIOC_QBUF;
extern const unsigned long EF_VIDIOC_DQBUF;
extern const unsigned long EF_VIDIOC_STREAMON;
extern const unsigned long EF_VIDIOC_STREAMOFF;

extern const uint32_t EF_V4L2_PIX_FMT_MJPEG;
extern const uint32_t EF_V4L2_PIX_FMT_JPEG;
extern const uint32_t EF_V4L2_PIX_FMT_YUYV;
extern const uint32_t EF_V4L2_PIX_FMT_RGB24;

#ifdef __cplusplus
}
#endif
