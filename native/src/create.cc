// Tensor creation (from JS data, constants, ranges, random numbers) and casts.
// Factory bindings take (..., dtypeCode, device) as their last two arguments.
#include "common.h"

#include <cstring>

namespace selfsup {

static at::TensorOptions Opts(const Napi::Value& dtype, const Napi::Value& device) {
  at::TensorOptions o = at::TensorOptions().dtype(DtypeOf(dtype));
  if (device.IsString()) o = o.device(DeviceOf(device));
  return o;
}

// fromData(typedArray, shape, srcDtype, dstDtype, device): copies the JS values.
OP(fromData, {
  if (!info[0].IsTypedArray()) throw ArgError("expected a typed array");
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = Ints(info[1]);
  at::ScalarType src = DtypeOf(info[2]);
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + c10::str(at::IntArrayRef(shape)));
    numel *= d;
  }
  size_t bytes = static_cast<size_t>(numel) * c10::elementSize(src);
  if (a.ByteLength() != bytes) {
    std::string need = "shape " + c10::str(at::IntArrayRef(shape)) + " of " + DtypeName(src) + " needs ";
    // Typed arrays of the dtype's own element size are counted in values, raw bytes in bytes.
    if (a.ElementSize() == c10::elementSize(src) && a.ElementSize() > 1)
      throw std::invalid_argument("data holds " + std::to_string(a.ElementLength()) + " values but " + need +
                                  std::to_string(numel) + " values");
    throw std::invalid_argument("data holds " + std::to_string(a.ByteLength()) + " bytes but " + need +
                                std::to_string(bytes) + " bytes (" + std::to_string(numel) + " values of " +
                                std::to_string(c10::elementSize(src)) + " bytes)");
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(src));
  if (bytes) {
    const uint8_t* p = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    std::memcpy(t.data_ptr(), p, bytes);
  }
  at::TensorOptions dst = Opts(info[3], info[4]);
  if (dst.dtype() != t.dtype() || dst.device() != t.device()) t = t.to(dst);
  return Wrap(env, t);
})

OP(empty, { return Wrap(env, at::empty(Ints(info[0]), Opts(info[1], info[2]))); })
OP(zeros, { return Wrap(env, at::zeros(Ints(info[0]), Opts(info[1], info[2]))); })
OP(ones, { return Wrap(env, at::ones(Ints(info[0]), Opts(info[1], info[2]))); })
OP(full, { return Wrap(env, at::full(Ints(info[0]), ScalarOf(info[1]), Opts(info[2], info[3]))); })
OP(arange, {
  return Wrap(env, at::arange(ScalarOf(info[0]), ScalarOf(info[1]), ScalarOf(info[2]), Opts(info[3], info[4])));
})
OP(linspace, {
  return Wrap(env, at::linspace(ScalarOf(info[0]), ScalarOf(info[1]), Int(info[2]), Opts(info[3], info[4])));
})
OP(eye, { return Wrap(env, at::eye(Int(info[0]), Int(info[1]), Opts(info[2], info[3]))); })
OP(rand, { return Wrap(env, at::rand(Ints(info[0]), Opts(info[1], info[2]))); })
OP(randn, { return Wrap(env, at::randn(Ints(info[0]), Opts(info[1], info[2]))); })
// randint(low, high, shape, dtype, device): integers in [low, high)
OP(randint, {
  return Wrap(env, at::randint(Int(info[0]), Int(info[1]), Ints(info[2]), Opts(info[3], info[4])));
})
OP(randperm, { return Wrap(env, at::randperm(Int(info[0]), Opts(info[1], info[2]))); })
OP(zerosLike, { return Wrap(env, at::zeros_like(T(info[0]))); })
OP(onesLike, { return Wrap(env, at::ones_like(T(info[0]))); })
OP(fullLike, { return Wrap(env, at::full_like(T(info[0]), ScalarOf(info[1]))); })
OP(randLike, { return Wrap(env, at::rand_like(T(info[0]))); })
OP(randnLike, { return Wrap(env, at::randn_like(T(info[0]))); })
// bernoulli(input): 0/1 with probabilities from input
OP(bernoulli, { return Wrap(env, at::bernoulli(T(info[0]))); })
// multinomial(probs, numSamples, replacement)
OP(multinomial, { return Wrap(env, at::multinomial(T(info[0]), Int(info[1]), Flag(info[2]))); })

OP(clone, { return Wrap(env, T(info[0]).clone()); })
// to(t, dtypeCode|null, device|null, nonBlocking)
OP(to, {
  at::Tensor& t = T(info[0]);
  at::ScalarType dt = info[1].IsNumber() ? DtypeOf(info[1]) : t.scalar_type();
  c10::Device dev = info[2].IsString() ? DeviceOf(info[2]) : t.device();
  return Wrap(env, t.to(dev, dt, info.Length() > 3 && Flag(info[3])));
})
OP(contiguous, { return Wrap(env, T(info[0]).contiguous()); })
// channelsLast(t): NCHW tensor stored as NHWC (same shape, different strides)
// A copy is made even when the tensor already counts as channels-last (e.g. one channel,
// whose NCHW strides pass the check): oneDNN then picks its NHWC kernels, as after PyTorch's
// module.to(memory_format=torch.channels_last).
OP(channelsLast, {
  at::Tensor& t = T(info[0]);
  return Wrap(env, t.to(t.options(), false, false, at::MemoryFormat::ChannelsLast));
})

void RegisterCreate(Napi::Env env, Napi::Object exports) {
  EXPORT(fromData);
  EXPORT(empty);
  EXPORT(zeros);
  EXPORT(ones);
  EXPORT(full);
  EXPORT(arange);
  EXPORT(linspace);
  EXPORT(eye);
  EXPORT(rand);
  EXPORT(randn);
  EXPORT(randint);
  EXPORT(randperm);
  EXPORT(zerosLike);
  EXPORT(onesLike);
  EXPORT(fullLike);
  EXPORT(randLike);
  EXPORT(randnLike);
  EXPORT(bernoulli);
  EXPORT(multinomial);
  EXPORT(clone);
  EXPORT(to);
  EXPORT(contiguous);
  EXPORT(channelsLast);
}

}  // namespace selfsup
