// Host ops of the testbench beyond the original set: the two-input elementwise ops with broadcasting (ADD that the
// engine cannot do, SUB, MUL, MAXIMUM, MINIMUM), the RELU family, LEAKY_RELU, HARD_SWISH, LOGISTIC, RESIZE_* and
// TRANSPOSE_CONV -- each the C++ twin of its pyflow/reference module (activations.py, elementwise.py, resize.py,
// transpose_conv.py), TFLite's integer reference kernels transcribed. Tensors are dense NHWC int8 bytes of one
// image; parameters come from the layer's metadata
// (pyflow/hls/codegen.py: _binary_meta and the host branches of _layer).
#ifndef PYFLOW_HOST_OPS_H
#define PYFLOW_HOST_OPS_H

#include <stdint.h>

#include <map>
#include <string>
#include <vector>

#include "engine.h"

typedef std::map<std::string, long long> host_meta_t;

// A metadata value; `fallback` when absent.
long long host_get(const host_meta_t &meta, const char *key, long long fallback = -1);

// out = a (op) b with broadcasting over (H, W, C): each operand dimension equals the output's or is 1.
void host_binary(const host_meta_t &meta, const layer_desc_t &d, const std::vector<int8_t> &a,
                 const std::vector<int8_t> &b, std::vector<int8_t> &out);
void host_relu(const host_meta_t &meta, const layer_desc_t &d, const std::vector<int8_t> &in,
               std::vector<int8_t> &out);
void host_leaky_relu(const host_meta_t &meta, const std::vector<int8_t> &in, std::vector<int8_t> &out);
void host_hard_swish(const host_meta_t &meta, const std::vector<int8_t> &in, std::vector<int8_t> &out);
// lut: LiteRT's 256-entry table indexed by the input byte; the TFLM flavor computes gemmlowp's logistic instead.
void host_logistic(const host_meta_t &meta, const std::vector<int8_t> &lut, const std::vector<int8_t> &in,
                   std::vector<int8_t> &out);
// RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR (meta: bilinear, align, half) from d.in_* to d.out_*.
void host_resize(const host_meta_t &meta, const layer_desc_t &d, const std::vector<int8_t> &in,
                 std::vector<int8_t> &out);
// FULLY_CONNECTED over several rows in the LiteRT flavor: (int) round(double(acc) * scale[o]) per channel.
void host_fc_rows(const host_meta_t &meta, const layer_desc_t &d, const std::vector<int8_t> &weights,
                  const std::vector<int32_t> &bias, const std::vector<double> &scale, const std::vector<int8_t> &in,
                  std::vector<int8_t> &out);
// TRANSPOSE_CONV: weights (O, KH, KW, I) int8; bias, multiplier, shift int32 per output channel.
void host_transpose_conv(const layer_desc_t &d, const std::vector<int8_t> &weights, const std::vector<int32_t> &bias,
                         const std::vector<int32_t> &mult, const std::vector<int32_t> &shift,
                         const std::vector<int8_t> &in, std::vector<int8_t> &out);

#endif
