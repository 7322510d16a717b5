// Tensor handles: creation, release, accounting of live tensors and the native
// bytes they hold, argument conversion, and the runtime (threads, seed, devices).
#include "common.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <c10/core/GradMode.h>
#include <ATen/autocast_mode.h>
#include <cmath>
#include <cstring>
#include <sstream>
#include <mutex>
#include <unordered_map>

namespace selfsup {

// Dtype codes shared with src/engine/dtype.ts; the order is part of the ABI.
static const at::ScalarType DTYPES[] = {
    at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kLong, at::kInt, at::kByte, at::kBool,
};
static const int NUM_DTYPES = sizeof(DTYPES) / sizeof(DTYPES[0]);

// Live handles, and the storages they reference (counted once however many views).
struct Accounting {
  int64_t liveTensors = 0;
  int64_t liveBytes = 0;
  int64_t peakBytes = 0;
  std::unordered_map<const void*, std::pair<int64_t, int64_t>> storages;  // impl -> (refs, bytes)
};
static Accounting acct;

// Native bytes are reported to V8 (so that the GC, the safety net for tensors nobody
// disposed, sees the pressure) in steps of at least this much. Reporting every
// allocation made V8 run a full GC every couple of training steps and cost about
// 10% of the step time, although the step's tensors are all freed by tidy().
static const int64_t kReportStep = 256ll << 20;
static int64_t unreported = 0;

static void Report(Napi::BasicEnv env, int64_t delta) {
  unreported += delta;
  if (unreported >= kReportStep || unreported <= -kReportStep) {
    Napi::MemoryManagement::AdjustExternalMemory(env, unreported);
    unreported = 0;
  }
}

static void Track(Napi::BasicEnv env, const at::Tensor& t, int sign) {
  acct.liveTensors += sign;
  if (!t.defined() || !t.has_storage()) return;
  const void* key = t.storage().unsafeGetStorageImpl();
  if (sign > 0) {
    auto& e = acct.storages[key];
    if (e.first++ == 0) {
      e.second = static_cast<int64_t>(t.storage().nbytes());
      acct.liveBytes += e.second;
      if (acct.liveBytes > acct.peakBytes) acct.peakBytes = acct.liveBytes;
      if (t.is_cpu()) Report(env, e.second);
    }
  } else {
    auto it = acct.storages.find(key);
    if (it == acct.storages.end()) return;
    if (--it->second.first == 0) {
      acct.liveBytes -= it->second.second;
      if (t.is_cpu()) Report(env, -it->second.second);
      acct.storages.erase(it);
    }
  }
}

// The finaliser takes a BasicEnv (it calls no JS), so with NAPI_EXPERIMENTAL (binding.gyp) Node
// runs it inside the GC. A finaliser that takes an Env is deferred to the event loop instead, and
// a synchronous loop (k-means, a hand-written training loop) then piled up every handle's Box and
// Node's record of it: 4.5 KB per training step, 75 MB over 16,000 steps.
Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  Box* box = new Box();
  box->t = std::move(t);
  Track(env, box->t, +1);
  return Napi::External<Box>::New(env, box, [](Napi::BasicEnv env, Box* b) {
    Release(env, b);
    delete b;
  });
}

void Release(Napi::BasicEnv env, Box* box, bool explicitDispose) {
  if (!box->t.defined()) return;
  if (explicitDispose) {
    box->disposedShape = box->t.sizes().vec();
    box->disposedDtype = box->t.scalar_type();
    box->disposed = true;
  }
  Track(env, box->t, -1);
  box->t = at::Tensor();
}

bool IsHandle(const Napi::Value& v) { return v.IsExternal(); }

static Box* BoxOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw ArgError("expected a tensor handle");
  return v.As<Napi::External<Box>>().Data();
}

at::Tensor& T(const Napi::Value& v) {
  Box* b = BoxOf(v);
  if (!b->t.defined())
    throw std::runtime_error(
        "tensor was disposed (by dispose() or by the tidy() scope that made it; "
        "return it from tidy() or keep() it to use it later)");
  return b->t;
}

c10::optional<at::Tensor> OptT(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return c10::nullopt;
  return T(v);
}

// An integral double in int64 range, else nullopt.
static c10::optional<int64_t> AsInt64(double d) {
  if (!(d == std::trunc(d)) || std::fabs(d) > 9.2e18) return c10::nullopt;
  return static_cast<int64_t>(d);
}

static std::string Shown(const Napi::Value& v) {
  if (v.IsNumber()) {
    std::ostringstream s;
    s << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsArray()) return "an array";
  return "an object";
}

std::vector<int64_t> Ints(const Napi::Value& v) {
  if (v.IsNumber()) return {Int(v)};
  if (!v.IsArray()) throw ArgError("expected an array of integers, got " + Shown(v));
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value x = a.Get(i);
    c10::optional<int64_t> n;
    if (x.IsNumber()) n = AsInt64(x.As<Napi::Number>().DoubleValue());
    if (!n) throw ArgError("expected an array of integers, got " + Shown(x) + " at position " + std::to_string(i));
    out[i] = *n;
  }
  return out;
}

std::string Str(const Napi::Value& v) {
  if (!v.IsString()) throw ArgError("expected a string, got " + Shown(v));
  return v.As<Napi::String>().Utf8Value();
}

double Num(const Napi::Value& v) {
  if (!v.IsNumber()) throw ArgError("expected a number, got " + Shown(v));
  return v.As<Napi::Number>().DoubleValue();
}

int64_t Int(const Napi::Value& v) {
  c10::optional<int64_t> n;
  if (v.IsNumber()) n = AsInt64(v.As<Napi::Number>().DoubleValue());
  if (!n) throw ArgError("expected an integer, got " + Shown(v));
  return *n;
}

bool Flag(const Napi::Value& v) { return v.ToBoolean().Value(); }

at::Scalar ScalarOf(const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsNumber()) {
    // Integral numbers are integer scalars, as Python ints: int64 tensor + 1 stays int64.
    double d = v.As<Napi::Number>().DoubleValue();
    if (d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0) return at::Scalar(static_cast<int64_t>(d));
    return at::Scalar(d);
  }
  throw ArgError("expected a number or boolean scalar, got " + Shown(v));
}

at::ScalarType DtypeOf(const Napi::Value& v) {
  if (!v.IsNumber()) throw ArgError("expected a dtype code, got " + Shown(v));
  c10::optional<int64_t> c = AsInt64(v.As<Napi::Number>().DoubleValue());
  if (!c || *c < 0 || *c >= NUM_DTYPES)
    throw ArgError("unknown dtype code " + Shown(v) + "; codes are 0.." + std::to_string(NUM_DTYPES - 1) +
                   " (float32, float64, float16, bfloat16, int64, int32, uint8, bool)");
  return DTYPES[*c];
}

// Our dtype names ("float32"), for messages.
static const char* DTYPE_NAMES[] = {"float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool"};

const char* DtypeName(at::ScalarType t) {
  int c = DtypeCode(t);
  return c < 0 ? c10::toString(t) : DTYPE_NAMES[c];
}

int DtypeCode(at::ScalarType t) {
  for (int i = 0; i < NUM_DTYPES; i++)
    if (DTYPES[i] == t) return i;
  return -1;
}

c10::Device DeviceOf(const Napi::Value& v) {
  if (!v.IsString()) throw ArgError("expected a device string such as 'cpu' or 'cuda:0', got " + Shown(v));
  std::string s = v.As<Napi::String>().Utf8Value();
  // Only the devices we support; libtorch's own parser accepts (and lists) many more.
  bool ok = s == "cpu" || s == "cuda";
  if (!ok && s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() < 9) {
    ok = true;
    for (size_t i = 5; i < s.size(); i++) ok = ok && s[i] >= '0' && s[i] <= '9';
  }
  if (!ok) throw ArgError("unknown device '" + s + "'; expected 'cpu', 'cuda' or 'cuda:N'");
  return c10::Device(s);
}

std::vector<at::Tensor> Tensors(const Napi::Value& v) {
  if (!v.IsArray()) throw ArgError("expected an array of tensors, got " + Shown(v));
  Napi::Array a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(T(a.Get(i)));
  return out;
}

Napi::Value WrapAll(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(i, Wrap(env, ts[i]));
  return a;
}

static void DescribeValue(std::ostringstream& s, const Napi::Value& v) {
  if (v.IsExternal()) {
    Box* b = v.As<Napi::External<Box>>().Data();
    if (!b->t.defined()) {
      s << "<disposed";
      if (b->disposed) s << " " << at::IntArrayRef(b->disposedShape) << " " << DtypeName(b->disposedDtype);
      s << ">";
      return;
    }
    s << b->t.sizes() << " " << DtypeName(b->t.scalar_type());
    if (!b->t.is_cpu()) s << " " << b->t.device();
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    s << "[";
    for (uint32_t i = 0; i < a.Length() && i < 8; i++) {
      if (i) s << ", ";
      DescribeValue(s, a.Get(i));
    }
    if (a.Length() > 8) s << ", ...";
    s << "]";
  } else if (v.IsNumber()) {
    s << v.As<Napi::Number>().DoubleValue();
  } else if (v.IsBoolean()) {
    s << (v.As<Napi::Boolean>().Value() ? "true" : "false");
  } else if (v.IsString()) {
    s << "'" << v.As<Napi::String>().Utf8Value() << "'";
  } else if (v.IsNull() || v.IsUndefined()) {
    s << "none";
  } else if (v.IsTypedArray()) {
    s << "<typed array of " << v.As<Napi::TypedArray>().ElementLength() << ">";
  } else {
    s << "<object>";
  }
}

std::string DescribeArgs(const Napi::CallbackInfo& info) {
  std::ostringstream s;
  s << "(";
  for (size_t i = 0; i < info.Length(); i++) {
    if (i) s << ", ";
    DescribeValue(s, info[i]);
  }
  s << ")";
  return s.str();
}

std::string OpMessage(const Napi::CallbackInfo& info, const char* op, const char* what) {
  std::string msg = std::string(op) + DescribeArgs(info) + ": " + what;
  // libtorch messages can run over several lines of internal detail; keep the first few.
  size_t cut = 0;
  for (int lines = 0; lines < 6 && cut != std::string::npos; lines++) cut = msg.find('\n', cut + 1);
  if (cut != std::string::npos) msg = msg.substr(0, cut);
  return msg;
}

Napi::Error OpError(const Napi::CallbackInfo& info, const char* op, const char* what) {
  return Napi::Error::New(info.Env(), OpMessage(info, op, what));
}

Napi::Error OpTypeError(const Napi::CallbackInfo& info, const char* op, const char* what) {
  return Napi::TypeError::New(info.Env(), OpMessage(info, op, what));
}

// ---- bindings ----

OP(dispose, {
  Release(env, BoxOf(info[0]), true);
  return env.Undefined();
})

OP(isDisposed, { return Napi::Boolean::New(env, !BoxOf(info[0])->t.defined()); })

OP(shape, {
  at::Tensor& t = T(info[0]);
  Napi::Array a = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.size(i)));
  return a;
})

OP(dtype, { return Napi::Number::New(env, DtypeCode(T(info[0]).scalar_type())); })
OP(device, { return Napi::String::New(env, T(info[0]).device().str()); })
OP(numel, { return Napi::Number::New(env, static_cast<double>(T(info[0]).numel())); })
OP(dim, { return Napi::Number::New(env, static_cast<double>(T(info[0]).dim())); })
OP(isContiguous, { return Napi::Boolean::New(env, T(info[0]).is_contiguous()); })
OP(isChannelsLast, {
  return Napi::Boolean::New(env, T(info[0]).is_contiguous(at::MemoryFormat::ChannelsLast));
})
OP(stride, {
  at::Tensor& t = T(info[0]);
  Napi::Array a = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); i++) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, t.stride(i)));
  return a;
})

// Copies the tensor's values into a new ArrayBuffer (contiguous, on the CPU).
// float16/bfloat16 come back as float32, bool as uint8.
OP(data, {
  at::Tensor t = T(info[0]).detach();
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  t = t.to(at::kCPU).contiguous();
  size_t n = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n);
  if (n) std::memcpy(buf.Data(), t.data_ptr(), n);
  return buf;
})

// rawData(t): the bytes of the tensor's values exactly as stored (row-major), any dtype.
OP(rawData, {
  at::Tensor t = T(info[0]).detach().to(at::kCPU).contiguous();
  size_t n = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n);
  if (n) std::memcpy(buf.Data(), t.data_ptr(), n);
  return buf;
})

OP(item, {
  at::Tensor& t = T(info[0]);
  if (t.numel() != 1) throw std::invalid_argument("item() needs a tensor with one element, got " + std::to_string(t.numel()));
  at::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
  return Napi::Number::New(env, s.toDouble());
})

OP(memory, {
  Napi::Object o = Napi::Object::New(env);
  o.Set("liveTensors", Napi::Number::New(env, static_cast<double>(acct.liveTensors)));
  o.Set("liveBytes", Napi::Number::New(env, static_cast<double>(acct.liveBytes)));
  o.Set("peakBytes", Napi::Number::New(env, static_cast<double>(acct.peakBytes)));
  o.Set("liveStorages", Napi::Number::New(env, static_cast<double>(acct.storages.size())));
  // V8's running total of external memory (ours and any other addon's), after our reports.
  o.Set("externalBytes",
        Napi::Number::New(env, static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(env, 0))));
  return o;
})

OP(setNumThreads, {
  int64_t n = Int(info[0]);
  if (n < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
  at::set_num_threads(static_cast<int>(n));
  return env.Undefined();
})
OP(getNumThreads, { return Napi::Number::New(env, at::get_num_threads()); })
// mallocTrim(): returns glibc heap pages that are free but not given back (malloc_trim(0));
// true if any memory was released. A no-op (false) without glibc.
OP(mallocTrim, {
#if defined(__GLIBC__)
  return Napi::Boolean::New(env, malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(env, false);
#endif
})

OP(manualSeed, {
  at::manual_seed(static_cast<uint64_t>(Int(info[0])));
  return env.Undefined();
})

// setDeterministic(on): libtorch's use_deterministic_algorithms (ops without a deterministic
// kernel then throw) and cuDNN's deterministic, non-benchmarking convolutions.
OP(setDeterministic, {
  const bool on = info[0].As<Napi::Boolean>().Value();
  at::globalContext().setDeterministicAlgorithms(on, false);
  at::globalContext().setDeterministicCuDNN(on);
  if (on) at::globalContext().setBenchmarkCuDNN(false);
  return env.Undefined();
})
// isDeterministic() -> whether setDeterministic(true) is in force.
OP(isDeterministic, { return Napi::Boolean::New(env, at::globalContext().deterministicAlgorithms()); })

// getRngState() -> uint8 tensor holding the default CPU generator's state (for exact resume).
OP(getRngState, {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return Wrap(env, gen.get_state());
})
// setRngState(uint8 tensor from getRngState)
OP(setRngState, {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(info[0]));
  return env.Undefined();
})

OP(setGradEnabled, {
  c10::GradMode::set_enabled(Flag(info[0]));
  return env.Undefined();
})
OP(isGradEnabled, { return Napi::Boolean::New(env, c10::GradMode::is_enabled()); })

// autocastEnter(dtype code) -> whether autocast was on; autocastExit(wasOn): torch.autocast('cpu',
// dtype) around the ops between them on this thread (ATen's AutocastCPU: matrix products and
// convolutions in dtype, the ops that need the range in float32). Leaving the outermost region
// clears ATen's cache of cast weights, as torch.autocast's exit does.
OP(autocastEnter, {
  const bool was = at::autocast::is_cpu_enabled();
  at::autocast::set_autocast_cpu_dtype(DtypeOf(info[0]));
  at::autocast::increment_nesting();
  at::autocast::set_cpu_enabled(true);
  return Napi::Boolean::New(env, was);
})
OP(autocastExit, {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(Flag(info[0]));
  return env.Undefined();
})

OP(cudaDeviceCount, {
  return Napi::Number::New(env, at::hasCUDA() ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0.0);
})

OP(buildInfo, {
  Napi::Object o = Napi::Object::New(env);
  o.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  o.Set("config", Napi::String::New(env, at::show_config()));
  o.Set("parallel", Napi::String::New(env, at::get_parallel_info()));
  o.Set("cuda", Napi::Boolean::New(env, at::hasCUDA()));
  o.Set("kmeansBlockRows", Napi::Number::New(env, static_cast<double>(kKMeansBlockRows)));
#ifdef _OPENMP
  o.Set("openmp", Napi::Boolean::New(env, true));  // this addon's own at::parallel_for is parallel
#else
  o.Set("openmp", Napi::Boolean::New(env, false));
#endif
  return o;
})

void RegisterHandle(Napi::Env env, Napi::Object exports) {
  EXPORT(dispose);
  EXPORT(isDisposed);
  EXPORT(shape);
  EXPORT(dtype);
  EXPORT(device);
  EXPORT(numel);
  EXPORT(dim);
  EXPORT(stride);
  EXPORT(isContiguous);
  EXPORT(isChannelsLast);
  EXPORT(data);
  EXPORT(rawData);
  EXPORT(item);
  EXPORT(memory);
  EXPORT(setNumThreads);
  EXPORT(mallocTrim);
  EXPORT(getNumThreads);
  EXPORT(manualSeed);
  EXPORT(setDeterministic);
  EXPORT(isDeterministic);
  EXPORT(getRngState);
  EXPORT(setRngState);
  EXPORT(setGradEnabled);
  EXPORT(isGradEnabled);
  EXPORT(autocastEnter);
  EXPORT(autocastExit);
  EXPORT(cudaDeviceCount);
  EXPORT(buildInfo);
}

}  // namespace selfsup
