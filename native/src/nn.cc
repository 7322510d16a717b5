// Neural-network functions: convolution, pooling, normalisation, activations,
// losses, resampling. Reductions are codes: 0 none, 1 mean, 2 sum.
#include "common.h"

namespace selfsup {

// conv2d(input, weight, bias|null, stride, padding, dilation, groups)
OP(conv2d, {
  return Wrap(env, at::conv2d(T(info[0]), T(info[1]), OptT(info[2]), Ints(info[3]), Ints(info[4]), Ints(info[5]),
                              Int(info[6])));
})
// linear(input, weight [out, in], bias|null)
OP(linear, { return Wrap(env, at::linear(T(info[0]), T(info[1]), OptT(info[2]))); })
// maxPool2d(input, kernel, stride, padding, dilation, ceilMode)
OP(maxPool2d, {
  return Wrap(env, at::max_pool2d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), Ints(info[4]),
                                  Flag(info[5])));
})
// avgPool2d(input, kernel, stride, padding, ceilMode, countIncludePad)
OP(avgPool2d, {
  return Wrap(env, at::avg_pool2d(T(info[0]), Ints(info[1]), Ints(info[2]), Ints(info[3]), Flag(info[4]),
                                  Flag(info[5])));
})
OP(adaptiveAvgPool2d, { return Wrap(env, at::adaptive_avg_pool2d(T(info[0]), Ints(info[1]))); })
OP(adaptiveMaxPool2d, { return Wrap(env, std::get<0>(at::adaptive_max_pool2d(T(info[0]), Ints(info[1])))); })
// batchNorm(input, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
// In training mode the running statistics are updated in place.
OP(batchNorm, {
  return Wrap(env, at::batch_norm(T(info[0]), OptT(info[1]), OptT(info[2]), OptT(info[3]), OptT(info[4]),
                                  Flag(info[5]), Num(info[6]), Num(info[7]), true));
})
// layerNorm(input, normalizedShape, weight|null, bias|null, eps)
OP(layerNorm, {
  return Wrap(env, at::layer_norm(T(info[0]), Ints(info[1]), OptT(info[2]), OptT(info[3]), Num(info[4])));
})
// dropout(input, p, training)
OP(dropout, { return Wrap(env, at::dropout(T(info[0]), Num(info[1]), Flag(info[2]))); })
OP(relu, { return Wrap(env, at::relu(T(info[0]))); })
OP(relu_, {
  at::relu_(T(info[0]));
  return info[0];
})
OP(leakyRelu, { return Wrap(env, at::leaky_relu(T(info[0]), ScalarOf(info[1]))); })
OP(gelu, { return Wrap(env, at::gelu(T(info[0]))); })
OP(softmax, { return Wrap(env, at::softmax(T(info[0]), Int(info[1]))); })
OP(logSoftmax, { return Wrap(env, at::log_softmax(T(info[0]), Int(info[1]))); })

// crossEntropy(logits [N, C, ...], target int64 [N, ...] or probabilities [N, C, ...],
//              weight|null, reduction, ignoreIndex, labelSmoothing)
OP(crossEntropy, {
  return Wrap(env, at::cross_entropy_loss(T(info[0]), T(info[1]), OptT(info[2]), Int(info[3]), Int(info[4]),
                                          Num(info[5])));
})
// nllLoss(logProbs, target, weight|null, reduction, ignoreIndex)
OP(nllLoss, {
  return Wrap(env, at::nll_loss_nd(T(info[0]), T(info[1]), OptT(info[2]), Int(info[3]), Int(info[4])));
})
// mseLoss(input, target, reduction)
OP(mseLoss, { return Wrap(env, at::mse_loss(T(info[0]), T(info[1]), Int(info[2]))); })
// binaryCrossEntropyWithLogits(input, target, weight|null, posWeight|null, reduction)
OP(binaryCrossEntropyWithLogits, {
  return Wrap(env, at::binary_cross_entropy_with_logits(T(info[0]), T(info[1]), OptT(info[2]), OptT(info[3]),
                                                        Int(info[4])));
})

// interpolate(input [N, C, H, W], size [h, w], mode 'bilinear'|'nearest', alignCorners)
OP(interpolate, {
  std::string mode = Str(info[2]);
  std::vector<int64_t> size = Ints(info[1]);
  if (mode == "bilinear") return Wrap(env, at::upsample_bilinear2d(T(info[0]), size, Flag(info[3])));
  if (mode == "nearest") return Wrap(env, at::upsample_nearest2d(T(info[0]), size));
  throw std::invalid_argument("interpolate mode must be 'bilinear' or 'nearest', got '" + mode + "'");
})
// affineGrid(theta [N, 2, 3], size [N, C, H, W], alignCorners) -> grid [N, H, W, 2]
OP(affineGrid, { return Wrap(env, at::affine_grid_generator(T(info[0]), Ints(info[1]), Flag(info[2]))); })
// gridSample(input, grid, mode 0 bilinear|1 nearest|2 bicubic, padding 0 zeros|1 border|2 reflection, alignCorners)
OP(gridSample, {
  return Wrap(env, at::grid_sampler(T(info[0]), T(info[1]), Int(info[2]), Int(info[3]), Flag(info[4])));
})

void RegisterNN(Napi::Env env, Napi::Object exports) {
  EXPORT(conv2d); EXPORT(linear); EXPORT(maxPool2d); EXPORT(avgPool2d); EXPORT(adaptiveAvgPool2d);
  EXPORT(adaptiveMaxPool2d); EXPORT(batchNorm); EXPORT(layerNorm); EXPORT(dropout); EXPORT(relu); EXPORT(relu_);
  EXPORT(leakyRelu); EXPORT(gelu); EXPORT(softmax); EXPORT(logSoftmax); EXPORT(crossEntropy); EXPORT(nllLoss);
  EXPORT(mseLoss); EXPORT(binaryCrossEntropyWithLogits); EXPORT(interpolate); EXPORT(affineGrid);
  EXPORT(gridSample);
}

}  // namespace selfsup
