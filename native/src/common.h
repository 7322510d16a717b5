// Shared helpers of the native layer: the tensor handle, argument conversion, and
// the OP() wrapper that turns every C++ exception into a JS Error naming the op
// and the shapes of its tensor arguments. No model logic lives in C++.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace selfsup {

// A JS tensor handle is a Napi::External<Box>. dispose() releases the tensor at
// once; the GC finaliser (run within the collection) deletes the Box (and the tensor,
// if still held).
struct Box {
  at::Tensor t;
  // What the tensor was when dispose() released it, for the error on later use.
  std::vector<int64_t> disposedShape;
  at::ScalarType disposedDtype = at::kFloat;
  bool disposed = false;
};

// Rows per block of the fused k-means kernel (cluster.cc); buildInfo() tells the JS side.
constexpr int64_t kKMeansBlockRows = 256;

// A bad argument from JS (wrong type, not an integer, unknown dtype code or device):
// becomes a TypeError "op(arg shapes): message".
struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Handle lifetime and accounting (handle.cc).
Napi::Value Wrap(Napi::Env env, at::Tensor t);
void Release(Napi::BasicEnv env, Box* box, bool explicitDispose = false);
bool IsHandle(const Napi::Value& v);
at::Tensor& T(const Napi::Value& v);  // throws if not a live handle
c10::optional<at::Tensor> OptT(const Napi::Value& v);  // null/undefined -> nullopt

// Argument conversion.
std::vector<int64_t> Ints(const Napi::Value& v);
std::string Str(const Napi::Value& v);
double Num(const Napi::Value& v);
int64_t Int(const Napi::Value& v);
bool Flag(const Napi::Value& v);
at::Scalar ScalarOf(const Napi::Value& v);
at::ScalarType DtypeOf(const Napi::Value& v);   // dtype code, see DTYPES in handle.cc
int DtypeCode(at::ScalarType t);
const char* DtypeName(at::ScalarType t);
c10::Device DeviceOf(const Napi::Value& v);      // "cpu", "cuda", "cuda:1"
std::vector<at::Tensor> Tensors(const Napi::Value& v);
Napi::Value WrapAll(Napi::Env env, const std::vector<at::Tensor>& ts);

// "(input [2, 3] float32, weight [4, 3] float32)" for an error message.
std::string DescribeArgs(const Napi::CallbackInfo& info);
std::string OpMessage(const Napi::CallbackInfo& info, const char* op, const char* what);
Napi::Error OpError(const Napi::CallbackInfo& info, const char* op, const char* what);
Napi::Error OpTypeError(const Napi::CallbackInfo& info, const char* op, const char* what);

using Registrar = void (*)(Napi::Env, Napi::Object);
void RegisterHandle(Napi::Env env, Napi::Object exports);
void RegisterCreate(Napi::Env env, Napi::Object exports);
void RegisterMath(Napi::Env env, Napi::Object exports);
void RegisterShape(Napi::Env env, Napi::Object exports);
void RegisterNN(Napi::Env env, Napi::Object exports);
void RegisterAutograd(Napi::Env env, Napi::Object exports);
void RegisterCluster(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);

}  // namespace selfsup

// Defines a binding `NAME(info)`; BODY returns a Napi::Value. Every exception
// becomes a JS Error (TypeError for bad arguments): "NAME(arg shapes): message".
#define OP(NAME, ...)                                                           \
  static Napi::Value NAME(const Napi::CallbackInfo& info) {                     \
    Napi::Env env = info.Env();                                                 \
    (void)env;                                                                  \
    try {                                                                       \
      __VA_ARGS__                                                               \
    } catch (const ::selfsup::ArgError& e) {                                    \
      throw ::selfsup::OpTypeError(info, #NAME, e.what());                      \
    } catch (const Napi::Error& e) {                                            \
      throw ::selfsup::OpError(info, #NAME, e.Message().c_str());               \
    } catch (const c10::Error& e) {                                             \
      throw ::selfsup::OpError(info, #NAME, e.what_without_backtrace());        \
    } catch (const std::exception& e) {                                         \
      throw ::selfsup::OpError(info, #NAME, e.what());                          \
    }                                                                           \
  }

#define EXPORT(NAME) exports.Set(#NAME, Napi::Function::New(env, NAME, #NAME))
