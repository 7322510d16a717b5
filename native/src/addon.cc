// Module entry: registers every group of bindings.
#include "common.h"

#include <c10/util/Logging.h>
#include <cstdlib>
#include <cstring>
#include <functional>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace selfsup;

// glibc gives each block from 128 KiB (a threshold it raises as it goes, up to 32 MiB) its own
// mmap, and gives the heap's top back to the system past 128 KiB free: a training step's
// activations and gradients then arrive as fresh pages every step, each faulted in and zeroed
// (about 9,000 page faults per convnet_s step at batch 128, a fifth of the step; PyTorch and a
// plain C++ libtorch program pay it too). Blocks up to 32 MiB from the heap, and up to 128 MiB of
// it kept free, are reused instead (resident memory: +8% on that step). SELFSUP_MALLOC=default
// keeps glibc's own settings (or the MALLOC_* variables given).
static void TuneMalloc() {
#if defined(__GLIBC__)
  const char* policy = std::getenv("SELFSUP_MALLOC");
  if (policy && std::strcmp(policy, "default") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TuneMalloc();
  // libtorch captures and symbolises a C++ stack trace for every error it throws
  // (about 0.3 ms each in 1.13); our messages never show it, so skip it.
  std::function<std::string()> noStackTrace = [] { return std::string(); };
  c10::SetStackTraceFetcher(noStackTrace);
  RegisterHandle(env, exports);
  RegisterCreate(env, exports);
  RegisterMath(env, exports);
  RegisterShape(env, exports);
  RegisterNN(env, exports);
  RegisterAutograd(env, exports);
  RegisterCluster(env, exports);
  RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(selfsup_native, Init)
