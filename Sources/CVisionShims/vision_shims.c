#include "vision_shims.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <jpeglib.h>

// MARK: libjpeg error handling

typedef struct ef_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;  // EF_MESSAGE_CAPACITY bytes, owned by the caller
    char first_warning[EF_MESSAGE_CAPACITY];
} ef_jpeg_error;

static void ef_jpeg_error_exit(j_common_ptr info) {
    ef_jpeg_error *error = (ef_jpeg_error *)info->err;
    if (error->message) {
        char text[JMSG_LENGTH_MAX];
        (*info->err->format_message)(info, text);
        snprintf(error->message, EF_MESSAGE_CAPACITY, "%s", text);
    }
    longjmp(error->jump, 1);
}

// Warnings (corrupt but recoverable data, such as a truncated file) are counted by libjpeg; keep
// the first one's text for the caller instead of printing it to stderr.
static void ef_jpeg_output_message(j_common_ptr info) {
    ef_jpeg_error *error = (ef_jpeg_error *)info->err;
    if (error->first_warning[0] == 0) {
        char text[JMSG_LENGTH_MAX];
        (*info->err->format_message)(info, text);
        snprintf(error->first_warning, EF_MESSAGE_CAPACITY, "%s", text);
    }
}

static void ef_jpeg_error_init(ef_jpeg_error *error, char *message) {
    jpeg_std_error(&error->base);
    error->base.error_exit = ef_jpeg_error_exit;
    error->base.output_message = ef_jpeg_output_message;
    error->message = message;
    error->first_warning[0] = 0;
}

struct ef_jpeg_decoder {
    struct jpeg_decompress_struct info;
    ef_jpeg_error error;
    int started;
};

ef_jpeg_decoder *ef_jpeg_open(const uint8_t *data, size_t size, int scale_denominator,
                              int *width, int *height, int *source_width, int *source_height,
                              char *message) {
    if (size == 0 || size > (size_t)0x7fffffff) {
        snprintf(message, EF_MESSAGE_CAPACITY, "JPEG data size %zu is out of range", size);
        return NULL;
    }
    ef_jpeg_decoder *decoder = calloc(1, sizeof(ef_jpeg_decoder));
    if (!decoder) {
        snprintf(message, EF_MESSAGE_CAPACITY, "out of memory");
        return NULL;
    }
    ef_jpeg_error_init(&decoder->error, message);
    decoder->info.err = &decoder->error.base;
    if (setjmp(decoder->error.jump)) {
        jpeg_destroy_decompress(&decoder->info);
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    jpeg_mem_src(&decoder->info, data, (unsigned long)size);
    jpeg_read_header(&decoder->info, TRUE);
    decoder->info.out_color_space = JCS_RGB;
    decoder->info.scale_num = 1;
    decoder->info.scale_denom = (unsigned int)(scale_denominator == 2 || scale_denominator == 4 || scale_denominator == 8 ? scale_denominator : 1);
    jpeg_calc_output_dimensions(&decoder->info);
    *width = (int)decoder->info.output_width;
    *height = (int)decoder->info.output_height;
    *source_width = (int)decoder->info.image_width;
    *source_height = (int)decoder->info.image_height;
    return decoder;
}

int ef_jpeg_set_scale(ef_jpeg_decoder *decoder, int scale_denominator, int *width, int *height, char *message) {
    decoder->error.message = message;
    if (setjmp(decoder->error.jump)) {
        return -1;
    }
    decoder->info.scale_num = 1;
    decoder->info.scale_denom = (unsigned int)(scale_denominator == 2 || scale_denominator == 4 || scale_denominator == 8 ? scale_denominator : 1);
    jpeg_calc_output_dimensions(&decoder->info);
    *width = (int)decoder->info.output_width;
    *height = (int)decoder->info.output_height;
    return 0;
}

int ef_jpeg_read(ef_jpeg_decoder *decoder, uint8_t *pixels, size_t row_stride, int *warnings, char *message) {
    decoder->error.message = message;
    if (setjmp(decoder->error.jump)) {
        return -1;
    }
    jpeg_start_decompress(&decoder->info);
    decoder->started = 1;
    if (decoder->info.output_components != 3) {
        snprintf(message, EF_MESSAGE_CAPACITY, "JPEG decoded to %d components, expected 3", decoder->info.output_components);
        return -1;
    }
    while (decoder->info.output_scanline < decoder->info.output_height) {
        JSAMPROW row = pixels + (size_t)decoder->info.output_scanline * row_stride;
        if (jpeg_read_scanlines(&decoder->info, &row, 1) != 1) {
            snprintf(message, EF_MESSAGE_CAPACITY, "JPEG data ends early");
            return -1;
        }
    }
    jpeg_finish_decompress(&decoder->info);
    decoder->started = 0;
    *warnings = (int)decoder->error.base.num_warnings;
    if (*warnings > 0) {
        snprintf(message, EF_MESSAGE_CAPACITY, "%s", decoder->error.first_warning);
    }
    return 0;
}

void ef_jpeg_close(ef_jpeg_decoder *decoder) {
    if (!decoder) return;
    // jpeg_destroy may itself report an error only for invalid states, which cannot occur here;
    // guard anyway so that a longjmp never targets a dead frame.
    decoder->error.message = NULL;
    if (setjmp(decoder->error.jump) == 0) {
        jpeg_destroy_decompress(&decoder->info);
    }
    free(decoder);
}

int ef_jpeg_encode(const uint8_t *pixels, int width, int height, size_t row_stride, int quality,
                   uint8_t **output, size_t *output_size, char *message) {
    struct jpeg_compress_struct info;
    ef_jpeg_error error;
    unsigned char *buffer = NULL;
    unsigned long buffer_size = 0;
    *output = NULL;
    *output_size = 0;
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        snprintf(message, EF_MESSAGE_CAPACITY, "cannot encode a %dx%d image as JPEG (at most %d per side)", width, height, (int)JPEG_MAX_DIMENSION);
        return -1;
    }
    ef_jpeg_error_init(&error, message);
    info.err = &error.base;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &buffer_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * row_stride);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *output = buffer;
    *output_size = buffer_size;
    return 0;
}

void ef_free(void *pointer) { free(pointer); }

// MARK: V4L2

int ef_ioctl(int fd, unsigned long request, void *argument) {
    int result;
    do {
        result = ioctl(fd, request, argument);
    } while (result == -1 && errno == EINTR);
    return result;
}

const unsigned long EF_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
const unsigned long EF_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
const unsigned long EF_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
const unsigned long EF_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
const unsigned long EF_VIDIOC_G_FMT = VIDIOC_G_FMT;
const unsigned long EF_VIDIOC_S_FMT = VIDIOC_S_FMT;
const unsigned long EF_VIDIOC_S_PARM = VIDIOC_S_PARM;
const unsigned long EF_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
const unsigned long EF_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
const unsigned long EF_VIDIOC_QBUF = VIDIOC_QBUF;
const unsigned long EF_VIDIOC_DQBUF = VIDIOC_DQBUF;
const unsigned long EF_VIDIOC_STREAMON = VIDIOC_STREAMON;
const unsigned long EF_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

const uint32_t EF_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
const uint32_t EF_V4L2_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
const uint32_t EF_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
const uint32_t EF_V4L2_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
